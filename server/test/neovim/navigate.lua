-- Navigation over plain LSP in headless Neovim (0.7+): go to definition from a node-name string into the annotated
-- graph (a `qkit-graph://` buffer that qkit/graphView fills, as the README's configuration does), the references of a
-- spec, the outline (document symbols) and workspace symbols. Prints what it finds; exits non-zero (cquit) when
-- anything is off. Set up by server/test/neovim.test.ts.
local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/common.lua")
local env, fail = common.env, common.fail
local file = env("QKIT_FILE")
local def_line, def_col = tonumber(env("QKIT_DEFINITION_LINE")), tonumber(env("QKIT_DEFINITION_COL"))
local ref_line, ref_col = tonumber(env("QKIT_REFERENCES_LINE")), tonumber(env("QKIT_REFERENCES_COL"))

local client_id
-- The annotated graph of a quantizer, as the README shows it: the buffer a definition or reference jumps to.
vim.api.nvim_create_autocmd("BufReadCmd", {
  pattern = "qkit-graph://*",
  callback = function(args)
    local encoded = args.match:match("%?(.*)$") or ""
    local quantizer = encoded:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end)
    local response = vim.lsp.get_client_by_id(client_id).request_sync("qkit/graphView", { uri = quantizer }, 30000, args.buf)
    local text = response and response.result and response.result.text
    if not text then fail("qkit/graphView for " .. quantizer .. ": " .. vim.inspect(response)) end
    vim.api.nvim_buf_set_lines(args.buf, 0, -1, false, vim.split(text, "\n", { plain = true }))
    vim.bo[args.buf].buftype = "nofile"
    vim.bo[args.buf].modifiable = false
  end,
})

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
client_id = common.start(bufnr, true)
local uri = vim.uri_from_bufnr(bufnr)

local function request(method, params)
  return common.request(bufnr, client_id, method, params)
end

-- The graph exists once the quantizer's first check is done: until then a definition has nowhere to go.
local definitions
local at = { textDocument = { uri = uri }, position = { line = def_line, character = def_col } }
if not vim.wait(60000, function()
  definitions = request("textDocument/definition", at)
  return definitions ~= nil and #definitions > 0
end, 200) then fail("no definition within 60 s") end

-- Jump as Neovim's own go-to-definition does; the cursor lands on the node's name in the graph buffer.
vim.lsp.util.jump_to_location(definitions[1], "utf-16")
local cursor = vim.api.nvim_win_get_cursor(0)
local line = vim.api.nvim_get_current_line()
io.stdout:write(("definition: %s | %s\n"):format(vim.api.nvim_buf_get_name(0), line:sub(cursor[2] + 1)))

vim.cmd("buffer " .. bufnr)
local references = request("textDocument/references", { textDocument = { uri = uri }, position = { line = ref_line, character = ref_col }, context = { includeDeclaration = false } })
if not references or #references == 0 then fail("no references") end
for _, location in ipairs(references) do
  local graph = vim.uri_to_bufnr(location.uri)
  vim.fn.bufload(graph)
  local text = vim.api.nvim_buf_get_lines(graph, location.range.start.line, location.range.start.line + 1, false)[1] or ""
  io.stdout:write("reference: " .. text:sub(location.range.start.character + 1, location.range["end"].character) .. "\n")
end

for _, symbol in ipairs(request("textDocument/documentSymbol", { textDocument = { uri = uri } }) or {}) do
  local children = {}
  for _, child in ipairs(symbol.children or {}) do table.insert(children, child.name) end
  io.stdout:write(("symbol: %s (%s) [%s] line %d\n"):format(symbol.name, symbol.detail or "", table.concat(children, ","), symbol.selectionRange.start.line))
end
for _, symbol in ipairs(request("workspace/symbol", { query = "navq" }) or {}) do
  io.stdout:write(("workspace symbol: %s at %s:%d\n"):format(symbol.name, vim.uri_to_fname(symbol.location.uri), symbol.location.range.start.line))
end

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
