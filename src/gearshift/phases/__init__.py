"""The three phases of the method, each readable alone: build the prompt, call, parse, save."""
