# technique: pathlib.Path.read_text on the canary
# expected: runtime (audit open), os (landlock)
from pathlib import Path
print('ESCAPED', Path('{CANARY}').read_text())
