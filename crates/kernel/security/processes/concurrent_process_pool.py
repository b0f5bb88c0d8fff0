# technique: ProcessPoolExecutor
# expected: lint, runtime
from concurrent.futures import ProcessPoolExecutor
with ProcessPoolExecutor(1) as ex:
    print('ESCAPED', ex.submit(abs, -1).result())
