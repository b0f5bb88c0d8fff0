# technique: a .pth file / sitecustomize in scratch
# expected: lint, runtime
import site
open('x.pth', 'w').write("import os; os.system('touch {CANARY_DIR}/pth')\n")
site.addsitedir('.')
