# technique: matplotlib.os re-export
# expected: lint, runtime, os
import matplotlib
matplotlib.os.system('touch {CANARY_DIR}/mplos')
