# technique: import os under another name and call system
# expected: lint, runtime (audit os.system), os (landlock execute)
import os as numpy_helpers
numpy_helpers.system('cat {CANARY} > {CANARY_DIR}/sys.txt')
