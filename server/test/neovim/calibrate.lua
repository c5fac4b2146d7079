-- The code lenses over plain LSP in headless Neovim (0.7+): asks for the lenses above the Quantizer class, runs the
-- "Run calibration" lens's command through workspace/executeCommand (as `vim.lsp.codelens.run()` does for a command
-- the client does not know), then the "Show annotated graph" lens's. Prints what it finds; exits non-zero (cquit) when
-- anything is off. Set up by server/test/neovim.test.ts.
local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/common.lua")
local env, fail = common.env, common.fail

-- The graph document the second lens opens: its text from qkit/graphView, as the README's BufReadCmd does.
local graph_lines = 0
vim.api.nvim_create_autocmd("BufReadCmd", {
  pattern = "qkit-graph://*",
  callback = function(args)
    local quantizer = args.match:match("%?(.*)$"):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    local client = vim.lsp.get_active_clients({ name = "qkit" })[1]
    local response = client and client.request_sync("qkit/graphView", { uri = quantizer }, 30000, args.buf)
    if not (response and response.result) then return end
    local lines = vim.split(response.result.text, "\n", { plain = true })
    vim.api.nvim_buf_set_lines(args.buf, 0, -1, false, lines)
    graph_lines = #lines
  end,
})

local messages = {}
vim.lsp.handlers["window/showMessage"] = function(_, result) table.insert(messages, result.message) end

vim.cmd("edit " .. vim.fn.fnameescape(env("QKIT_FILE")))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = common.start(bufnr, true)
local function request(method, params, timeout)
  return common.request(bufnr, client_id, method, params, timeout)
end

-- Lenses come once the quantizer has been checked.
local lenses
if not vim.wait(60000, function()
  lenses = request("textDocument/codeLens", { textDocument = vim.lsp.util.make_text_document_params(bufnr) })
  return lenses and #lenses >= 2 and lenses[1].command and lenses[1].command.title == "Run calibration"
end, 200) then fail("no Run calibration lens within 60 s: " .. vim.inspect(lenses)) end
for _, lens in ipairs(lenses) do io.stdout:write(("lens: %s -> %s\n"):format(lens.command.title, lens.command.command)) end

local result = request("workspace/executeCommand", lenses[1].command, 120000)
io.stdout:write(("calibrated: %d samples, output %s\n"):format(result.items, vim.uri_to_fname(result.output)))
if not vim.wait(5000, function() return #messages > 0 end, 50) then fail("no message after calibration") end
io.stdout:write("message: " .. messages[1] .. "\n")

local graph = request("workspace/executeCommand", lenses[2].command)
-- Neovim 0.8+ shows it on the server's window/showDocument; 0.7 has no such handler, so open the URI answered.
if not vim.wait(2000, function() return graph_lines > 0 end, 50) then vim.cmd("edit " .. vim.fn.fnameescape(graph.uri)) end
if not vim.wait(10000, function() return graph_lines > 0 end, 50) then fail("the graph document was not shown: " .. vim.inspect(graph)) end
io.stdout:write(("graph: %s, %d lines in buffer %s\n"):format(graph.uri, graph_lines, vim.api.nvim_buf_get_name(0)))

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
