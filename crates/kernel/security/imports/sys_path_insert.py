# technique: sys.path.insert(scratch) then import
# expected: lint, runtime
import sys, os
open('evilmod2.py', 'w').write("print('ESCAPED')\n")
sys.path.insert(0, os.getcwd())
import evilmod2
