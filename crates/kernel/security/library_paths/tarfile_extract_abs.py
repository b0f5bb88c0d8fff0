# technique: tar with an absolute member path
# expected: runtime, os
import tarfile, io
data = b'pwned'
with tarfile.open('t.tar', 'w') as t:
    ti = tarfile.TarInfo('{CANARY_DIR}/tarslip.txt'.lstrip('/'))
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open('t.tar') as t:
    t.extractall('/')
