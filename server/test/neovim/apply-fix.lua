-- Neovim's built-in LSP client (0.7+), headless: opens a broken quantizer, waits for the server's diagnostic, asks for
-- its code actions (only those of QKIT_ACTION_KIND when set, as `vim.lsp.buf.code_action({ context = { only = ... } })`
-- does), applies the first one's edit to the buffer (Neovim sends the change to the server), and waits for the
-- diagnostic to go. Exits non-zero (cquit) when anything is off. Set up by server/test/neovim.test.ts.
local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/common.lua")
local env, fail = common.env, common.fail
local file = env("QKIT_FILE")
local expect_code = env("QKIT_EXPECT_CODE")
local only = os.getenv("QKIT_ACTION_KIND")

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = common.start(bufnr)

-- As Neovim's own code_action does: the line's diagnostics in LSP form (range, message, source, code, data).
local function find()
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp
    if d.source == "qkit" and (d.code or (lsp and lsp.code)) == expect_code then
      for _, l in ipairs(vim.lsp.diagnostic.get_line_diagnostics(bufnr, d.lnum)) do
        if l.code == expect_code then return l end
      end
    end
  end
end

local diagnostic
if not vim.wait(30000, function() diagnostic = find(); return diagnostic ~= nil end, 50) then fail("no " .. expect_code .. " diagnostic within 30 s") end

local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, range = diagnostic.range, context = { diagnostics = { diagnostic }, only = only and { only } or nil } }
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
local actions = responses and responses[client_id] and responses[client_id].result
if not actions or #actions == 0 then fail("no code action for " .. expect_code .. ": " .. vim.inspect(responses) .. " for " .. vim.inspect(diagnostic)) end
io.stdout:write("code action: " .. actions[1].title .. "\n")
vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")

-- The server checks the edited buffer; the diagnostic goes once that check is published.
if not vim.wait(30000, function() return find() == nil end, 50) then fail(expect_code .. " is still there after the fix") end
local changed = vim.api.nvim_buf_get_lines(bufnr, diagnostic.range.start.line, diagnostic.range["end"].line + 1, false)
io.stdout:write("fixed: " .. table.concat(changed, "\n") .. "\n")

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
