# technique: os.makedirs outside scratch
# expected: runtime, os
import os
os.makedirs('{CANARY_DIR}/dir/sub')
