# technique: attribute name reversed at runtime
# expected: lint, runtime, os
import os
getattr(os, 'metsys'[::-1])('touch {CANARY_DIR}/rev')
