# technique: module name decoded from bytes
# expected: lint, runtime, os
import importlib
sp = importlib.import_module(b'c3VicHJvY2Vzcw=='.decode('ascii') and __import__('base64').b64decode(b'c3VicHJvY2Vzcw==').decode())
sp.run(['touch', '{CANARY_DIR}/b64'])
