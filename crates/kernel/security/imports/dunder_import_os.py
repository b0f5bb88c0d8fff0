# technique: __import__('os').system
# expected: lint, runtime, os
__import__('os').system('touch {CANARY_DIR}/dunderimport')
