"""Small applications the CLI discovery tests load by module name, file path or folder."""
