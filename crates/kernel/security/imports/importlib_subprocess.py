# technique: importlib.import_module('subprocess')
# expected: lint, runtime, os
import importlib
importlib.import_module('subprocess').run(['touch', '{CANARY_DIR}/importlib'])
