"""CloFormer XXS / XS / S, faithful to the official implementation (qhfan/CloFormer)."""
from .checkpoint import load_checkpoint
from .cloformer import CONFIGS, INPUT_MULTIPLE, CloFormer, CloFormerConfig
from .errors import ModelError
from .registry import DEFAULT_MODEL, check_input_size, create_model, get_config, list_models

__all__ = ["CONFIGS", "DEFAULT_MODEL", "INPUT_MULTIPLE", "CloFormer", "CloFormerConfig", "ModelError",
           "check_input_size", "create_model", "get_config", "list_models", "load_checkpoint"]
