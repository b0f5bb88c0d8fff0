# technique: shutil.move the canary into scratch
# expected: runtime, os
import shutil
shutil.move('{CANARY}', 'taken.txt')
