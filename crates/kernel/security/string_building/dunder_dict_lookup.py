# technique: module __dict__ lookup by built name
# expected: lint, runtime, os
import os
os.__dict__['sys' + 'tem']('touch {CANARY_DIR}/dunderdict')
