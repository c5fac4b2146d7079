/** The qkit VS Code extension entry point (filled in by the extension work). */
export function activate(): void {}
export function deactivate(): void {}
