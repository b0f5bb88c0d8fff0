# technique: json.decoder -> re -> ... -> sys
# expected: lint, runtime, os
import json
m = json.decoder.re.sys.modules['subprocess' if 'subprocess' in json.decoder.re.sys.modules else 'os']
m.system('touch {CANARY_DIR}/jsonchain')
