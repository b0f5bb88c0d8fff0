# technique: ThreadPoolExecutor running os.system
# expected: lint, runtime, os
from concurrent.futures import ThreadPoolExecutor
import os
with ThreadPoolExecutor(1) as ex:
    ex.submit(os.system, 'touch {CANARY_DIR}/pool').result()
