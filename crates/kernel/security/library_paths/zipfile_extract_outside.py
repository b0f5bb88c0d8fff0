# technique: zip-slip: extract an entry named ../../ into the canary dir
# expected: runtime, os
import zipfile
with zipfile.ZipFile('z.zip', 'w') as z:
    z.writestr('{CANARY_DIR}/zipslip.txt', 'pwned')
with zipfile.ZipFile('z.zip') as z:
    for i in z.infolist():
        with open('/' + i.filename.lstrip('/'), 'wb') as out:
            out.write(z.read(i))
