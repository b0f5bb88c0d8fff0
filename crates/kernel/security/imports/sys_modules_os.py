# technique: sys.modules['os'].system
# expected: lint, runtime, os
import sys
sys.modules['os'].system('touch {CANARY_DIR}/sysmodules')
