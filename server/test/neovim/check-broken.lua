-- A second, independent LSP client: Neovim's built-in one (0.7+), headless. Opens a broken quantizer, waits for the
-- server's diagnostic at the marked line, asks for a hover, and exits non-zero (cquit) when anything is off.
-- Everything it needs comes from the environment, set by server/test/neovim.test.ts.
local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/common.lua")
local env, fail = common.env, common.fail
local file = env("QKIT_FILE")
local expect_line = tonumber(env("QKIT_EXPECT_LINE"))
local expect_code = env("QKIT_EXPECT_CODE")
local hover_line = tonumber(env("QKIT_HOVER_LINE"))
local hover_col = tonumber(env("QKIT_HOVER_COL"))
local hover_match = env("QKIT_HOVER_MATCH")

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = common.start(bufnr)

local found
local ok = vim.wait(30000, function()
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    if d.source == "qkit" and code == expect_code then
      found = d
      return true
    end
  end
  return false
end, 50)
if not ok then fail("no " .. expect_code .. " diagnostic within 30 s") end
-- vim.diagnostic lines are 0-based.
if found.lnum + 1 ~= expect_line then fail(("%s at line %d, expected %d"):format(expect_code, found.lnum + 1, expect_line)) end
io.stdout:write(("diagnostic %s at line %d: %s\n"):format(expect_code, found.lnum + 1, found.message))

local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = hover_line, character = hover_col } }
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", params, 10000)
local response = responses and responses[client_id]
if not response or not response.result then fail("no hover answer") end
local contents = response.result.contents
local text = type(contents) == "table" and (contents.value or "") or tostring(contents)
if not text:find(hover_match, 1, true) then fail("hover does not mention " .. hover_match .. ": " .. text) end
io.stdout:write("hover: " .. text:gsub("\n", " ") .. "\n")

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
