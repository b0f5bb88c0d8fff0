# technique: PIL.Image module exposes os
# expected: lint, runtime, os
from PIL import Image
Image.os.system('touch {CANARY_DIR}/pilos')
