/** The qkit language server (filled in by the language-server work); for now it only proves the package builds. */
export const SERVER_NAME = "qkit-language-server";
