# technique: write a module into scratch and import it
# expected: runtime (sys.path trimmed)
open('evilmod.py', 'w').write("import os\nos.system('touch {CANARY_DIR}/evilmod')\n")
import evilmod
