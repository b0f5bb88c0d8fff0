# technique: getattr chain to os via a stdlib module
# expected: lint, runtime, os
import shutil
getattr(getattr(shutil, 'os'), 'system')('touch {CANARY_DIR}/nested')
