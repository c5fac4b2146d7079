-- The scaffold over plain LSP in headless Neovim (0.7+): runs the server's qkit.scaffoldQuantizer command (as
-- `vim.lsp.buf.execute_command` does) for a model, opens the file it wrote, and waits for the server's check of it.
-- Prints what it finds; exits non-zero (cquit) when anything is off. Set up by server/test/neovim.test.ts.
local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/common.lua")
local env, fail = common.env, common.fail
local model = env("QKIT_MODEL")

-- Any buffer of the workspace carries the requests: here its qkit.json.
vim.cmd("edit " .. vim.fn.fnameescape(env("QKIT_WORKSPACE") .. "/qkit.json"))
local config = vim.api.nvim_get_current_buf()
local client_id = common.start(config, true)

local function request(bufnr, method, params)
  return common.request(bufnr, client_id, method, params, 60000)
end

local written = request(config, "workspace/executeCommand", { command = "qkit.scaffoldQuantizer", arguments = { model, { like = "xnnpack" } } })
if not written or not written.quantizer then fail("the command answered no file: " .. vim.inspect(written)) end
local quantizer = vim.uri_to_fname(written.quantizer)
io.stdout:write(("scaffold: %s, target added %s\n"):format(quantizer, tostring(written.targetAdded)))

vim.cmd("edit " .. vim.fn.fnameescape(quantizer))
local bufnr = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(bufnr, client_id)
local name = vim.fn.fnamemodify(quantizer, ":t")

-- The server checks the new target at once: wait for a finished check of it, with nothing else running.
local check
if not vim.wait(90000, function()
  local status = request(bufnr, "qkit/status", nil)
  if status.checksRunning > 0 then return false end
  for _, target in ipairs(status.targets) do
    if vim.fn.fnamemodify(target.quantizer, ":t") == name and target.lastCheck then check = target.lastCheck end
  end
  return check ~= nil
end, 200) then fail("no check of " .. name .. " within 90 s") end
io.stdout:write(("check: %s, %d errors, %s of %s nodes annotated\n"):format(check.outcome, check.errors, tostring(check.annotated), tostring(check.total)))
local errors = vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR })
for _, d in ipairs(errors) do io.stdout:write(("error diagnostic: line %d: %s\n"):format(d.lnum + 1, d.message)) end
io.stdout:write(("error diagnostics: %d\n"):format(#errors))
io.stdout:write("first line: " .. (vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] or "") .. "\n")

vim.lsp.stop_client(client_id)
vim.wait(2000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
