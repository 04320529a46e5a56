"""How prompts enter models that several plugins wrap: shared here because a plugin may not import
another plugin. ``timm_models`` (prompt tokens for ViT-style timm models, FiLM for staged ones) is
used by sen_timm's neurons and sen_open_clip's timm-trunk and ModifiedResNet towers;
``timm_film_stages`` locates the stage modules FiLM modulates. Cheap to import (torch inside).
"""
