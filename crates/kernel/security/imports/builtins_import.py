# technique: builtins.__import__
# expected: lint, runtime, os
import builtins
builtins.__import__('os').system('touch {CANARY_DIR}/bimport')
