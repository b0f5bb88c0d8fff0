# technique: PIL.Image.open on the canary
# expected: runtime, os
from PIL import Image
Image.open('{CANARY}')
