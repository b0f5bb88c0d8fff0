# technique: os.chmod the canary
# expected: runtime, os
import os
os.chmod('{CANARY}', 0o777)
