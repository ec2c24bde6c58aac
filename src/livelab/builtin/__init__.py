"""The built-in plugins, registered exactly as a third-party plugin would be: the Whisper
transcriber, the text/JSON reporters and the batch executors."""
