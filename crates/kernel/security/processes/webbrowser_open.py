# technique: webbrowser.open launches a browser process
# expected: lint, runtime
import webbrowser
webbrowser.open('file://{CANARY}')
