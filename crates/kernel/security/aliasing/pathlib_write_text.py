# technique: pathlib.Path.write_text outside scratch
# expected: runtime, os
from pathlib import Path
Path('{CANARY_DIR}/new.txt').write_text('pwned')
