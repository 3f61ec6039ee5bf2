"""Cross-modal prompt mappings (ViLT-CLIP's inter-modal prompt mapping)."""
from .inter_modal_prompt_mapping import InterModalPromptMapping, build_prompt_mapping, text_layer_prompts

__all__ = ['InterModalPromptMapping', 'build_prompt_mapping', 'text_layer_prompts']
