"""CloFormer XXS / XS / S, faithful to the official implementation (qhfan/CloFormer), and the
reference peers measured beside them."""
from .checkpoint import load_checkpoint
from .cloformer import CONFIGS, INPUT_MULTIPLE, CloFormer, CloFormerConfig
from .errors import ModelError
from .registry import (DEFAULT_MODEL, PEERS, check_input_size, check_model, create_model, describe_model, get_config,
                       is_reference, list_models, model_config)

__all__ = ["CONFIGS", "DEFAULT_MODEL", "INPUT_MULTIPLE", "PEERS", "CloFormer", "CloFormerConfig", "ModelError",
           "check_input_size", "check_model", "create_model", "describe_model", "get_config", "is_reference",
           "list_models", "load_checkpoint", "model_config"]
