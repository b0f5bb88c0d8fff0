# technique: zipimport a module from a scratch archive (code from scratch run by a library loader)
# expected: lint, runtime (importing code from scratch is refused)
import zipfile, zipimport
with zipfile.ZipFile('m.zip', 'w') as z:
    z.writestr('zm.py', "import subprocess\nsubprocess.run(['touch', '{CANARY_DIR}/zipimport'])\n")
zipimport.zipimporter('m.zip').load_module('zm')
