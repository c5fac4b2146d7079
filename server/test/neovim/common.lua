-- What every headless-Neovim script of server/test/neovim.test.ts shares: its settings from the environment, failing
-- with a message (exit code 1), starting qkit's server as a plain LSP client for a buffer, and a request that fails on
-- an error or a missing answer. Loaded with dofile beside the script.
local M = {}

function M.env(name)
  local value = os.getenv(name)
  if not value then error(name .. " is not set") end
  return value
end

function M.fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  vim.cmd("cquit! 1")
end

-- Starts the server (trusted workspace) and attaches it to bufnr; with `initialized`, waits for the initialize answer,
-- since requests go only to servers whose capabilities are known.
function M.start(bufnr, initialized)
  local client_id = vim.lsp.start_client({
    name = "qkit",
    cmd = { "node", M.env("QKIT_SERVER_BIN"), "--stdio" },
    root_dir = M.env("QKIT_WORKSPACE"),
    init_options = { trusted = true },
  })
  if not client_id then M.fail("the server did not start") end
  vim.lsp.buf_attach_client(bufnr, client_id)
  if initialized and not vim.wait(30000, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized == true
  end, 50) then M.fail("the server did not initialize within 30 s") end
  return client_id
end

function M.request(bufnr, client_id, method, params, timeout)
  local responses = vim.lsp.buf_request_sync(bufnr, method, params, timeout or 30000)
  local response = responses and responses[client_id]
  if not response then M.fail("no answer to " .. method) end
  if response.err then M.fail(method .. ": " .. vim.inspect(response.err)) end
  return response.result
end

return M
