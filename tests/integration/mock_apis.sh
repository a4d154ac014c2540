#!/bin/sh
# The mock backend in each API a client speaks (chat, Anthropic Messages,
# OpenAI Responses), whole and streamed: the exact event sequences, the
# scripted tool calls for each agent's shell tool, the tool-result turn,
# parallel calls, the max_tokens cut, and usage equal to the words sent --
# in the answer, in its receipt and in the ledger.  The gateway runs on
# loopback and is stopped by this script.
#   mock_apis.sh CLOISTER
set -u
bin=$1
. "$(dirname "$0")/common.sh"
for c in jq sqlite3 python3; do
	command -v $c >/dev/null || { echo "mock_apis: $c missing"; exit 1; }
done

port=$(freeport)
state=$tmp/state
cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:$port
state_dir: $state
tee: sim
limits: { max_body: 1048576, timeout: 10 }
backends:
  - name: demo
    type: mock
    models:
      - { name: mock-small, input: 1000000, output: 1000000 }
  - name: slow
    type: mock
    chunk_delay_ms: 40
    models:
      - { name: mock-slow, input: 1000000, output: 1000000 }
YAML
serve_start serve "$tmp/gw.yaml" || exit 1
K=$(api_key "$state" main --credits 100000000)
[ -n "$K" ] && ok || { bad "keys create"; exit 1; }
U=http://127.0.0.1:$port

# post API BODY: one request in API's shape; the body in $tmp/out, the
# headers in $tmp/h.  A stream's events: names in $tmp/ev (one a line),
# data in $tmp/data (a JSON array, [DONE] left out).
post() {
	case $1 in
	chat) set -- /v1/chat/completions "$2" -H "Authorization: Bearer $K" ;;
	messages) set -- "/v1/messages?beta=true" "$2" -H "x-api-key: $K" \
	    -H "anthropic-version: 2023-06-01" ;;
	responses) set -- /v1/responses "$2" -H "Authorization: Bearer $K" ;;
	esac
	_path=$1
	_body=$2
	shift 2
	curl -s -N -o "$tmp/out" -D "$tmp/h" "$U$_path" "$@" \
	    -H "Content-Type: application/json" -d "$_body"
	sed -n 's/^event: //p' "$tmp/out" >"$tmp/ev"
	sed -n 's/^data: //p' "$tmp/out" | grep -v '^\[DONE\]$' |
	    jq -s . >"$tmp/data" 2>/dev/null || echo '[]' >"$tmp/data"
}

# receipt: the answer's receipt (header or final SSE comment), its payload
# in $tmp/rcpt.
receipt() {
	_jws=$(sed -n 's/^Cloister-Receipt: \([^ ]*\).*/\1/p' "$tmp/h" | tr -d '\r')
	[ -n "$_jws" ] || _jws=$(sed -n 's/^: cloister-receipt \(.*\)/\1/p' "$tmp/out" | tr -d '\r')
	python3 -c 'import sys, base64
p = sys.argv[1].split(".")[1]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' \
	    "$_jws" >"$tmp/rcpt" 2>/dev/null || echo '{}' >"$tmp/rcpt"
}

# billed IN OUT WHAT: the receipt and the ledger both say IN prompt and
# OUT completion tokens, and the cost is their sum (1 credit a token).
billed() {
	receipt
	_id=$(jq -r '.id // empty' "$tmp/rcpt")
	_row=$(sqlite3 "$state/ledger.db" "SELECT prompt_tokens || ' ' || completion_tokens || ' ' || cost FROM requests WHERE id = '$_id'")
	if jq -e ".usage.prompt_tokens == $1 and .usage.completion_tokens == $2 and .cost == $1 + $2" "$tmp/rcpt" >/dev/null &&
	    [ "$_row" = "$1 $2 $(($1 + $2))" ]; then ok; else
		bad "$3: billed $(jq -c '{usage, cost}' "$tmp/rcpt"), ledger '$_row', want $1 in $2 out"
	fi
}

# out FILTER WHAT: the whole answer satisfies FILTER
out() { jq -e "$1" "$tmp/out" >/dev/null 2>&1 && ok || bad "$2: jq '$1' on $(head -c 400 "$tmp/out")"; }
# data FILTER WHAT: the stream's events (a JSON array) satisfy FILTER
data() { jq -e "$1" "$tmp/data" >/dev/null 2>&1 && ok || bad "$2: jq '$1' on $(head -c 600 "$tmp/data")"; }
# seq WANT WHAT: the stream's event names, joined by spaces, are WANT;
# "x*N" in WANT stands for N times x.
seq_is() {
	_want=$(echo "$1" | tr ' ' '\n' | while read -r _e; do
		case $_e in
		*\**) _n=${_e##*\*}; for _ in $(seq 1 "$_n"); do echo "${_e%\**}"; done ;;
		*) echo "$_e" ;;
		esac
	done | tr '\n' ' ')
	_got=$(tr '\n' ' ' <"$tmp/ev")
	[ "$_got" = "$_want" ] && ok || bad "$2: events '$_got', want '$_want'"
}

HELLO='[{"role":"user","content":"hello there friend"}]'
LIST='List the files in this directory with a shell command, then say done.'
TWO='List the files of both directories in parallel.'

# Each agent's shell tool, as it declares it (trimmed).
CC_TOOLS='[{"name":"Agent","input_schema":{"type":"object","properties":{"prompt":{"type":"string"}}}},
 {"name":"Bash","description":"Executes a bash command","input_schema":{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"description":{"type":"string"}},"required":["command"]}},
 {"name":"BashOutput","input_schema":{"type":"object","properties":{"bash_id":{"type":"string"}}}}]'
CX_TOOLS='[{"type":"web_search","external_web_access":true},
 {"type":"function","name":"exec_command","strict":false,"parameters":{"type":"object","properties":{"cmd":{"type":"string"},"workdir":{"type":"string"},"yield_time_ms":{"type":"number"}},"required":["cmd"]}},
 {"type":"function","name":"write_stdin","parameters":{"type":"object","properties":{"session_id":{"type":"number"}}}}]'
CX_SHELL='[{"type":"function","name":"shell","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},"workdir":{"type":"string"}}}}]'
QW_TOOLS='[{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}},
 {"type":"function","function":{"name":"run_shell_command","parameters":{"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"},"directory":{"type":"string"}}}}}]'
OC_TOOLS='[{"type":"function","function":{"name":"bash","parameters":{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"description":{"type":"string"}}}}}]'

# ---- plain answers: 16 words, whole and streamed ---------------------------

post chat '{"model":"mock-small","messages":'"$HELLO"'}'
out '.object == "chat.completion" and .choices[0].finish_reason == "stop" and (.choices[0].message.content | split(" ") | length) == 16 and .usage == {prompt_tokens: 3, completion_tokens: 16, total_tokens: 19}' "chat whole"
billed 3 16 "chat whole"

post messages '{"model":"mock-small","max_tokens":1000,"messages":'"$HELLO"'}'
out '(.id | startswith("msg_")) and .type == "message" and .role == "assistant" and .model == "mock-small" and .stop_reason == "end_turn" and .stop_sequence == null and (.content | length) == 1 and .content[0].type == "text" and (.content[0].text | split(" ") | length) == 16 and .usage == {input_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 16}' "messages whole"
billed 3 16 "messages whole"

post responses '{"model":"mock-small","input":"hello there friend"}'
out '(.id | startswith("resp_")) and .object == "response" and .status == "completed" and .incomplete_details == null and (.output | length) == 1 and .output[0].type == "message" and .output[0].status == "completed" and .output[0].content[0].type == "output_text" and (.output[0].content[0].text | split(" ") | length) == 16 and .usage == {input_tokens: 3, input_tokens_details: {cached_tokens: 0}, output_tokens: 16, output_tokens_details: {reasoning_tokens: 0}, total_tokens: 19}' "responses whole"
billed 3 16 "responses whole"

post messages '{"model":"mock-small","max_tokens":1000,"stream":true,"messages":'"$HELLO"'}'
seq_is "message_start content_block_start content_block_delta*16 content_block_stop message_delta message_stop" "messages stream"
data '.[0].message.usage.input_tokens == 3 and .[0].message.content == [] and .[1].content_block == {type: "text", text: ""} and ([.[] | select(.type == "content_block_delta") | .delta.text] | add | split(" ") | length) == 16 and .[-2].delta.stop_reason == "end_turn" and .[-2].usage.output_tokens == 16 and .[-2].usage.input_tokens == 3' "messages stream"
billed 3 16 "messages stream"

post responses '{"model":"mock-small","stream":true,"input":[{"role":"user","content":[{"type":"input_text","text":"hello there friend"}]}]}'
seq_is "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta*16 response.output_text.done response.content_part.done response.output_item.done response.completed" "responses stream"
data '([.[].sequence_number] == [range(0; length)]) and all(.[]; .type != null) and (([.[] | select(.type == "response.output_text.delta") | .delta] | add) as $t | $t == (.[] | select(.type == "response.output_text.done") | .text) and .[-1].response.status == "completed" and .[-1].response.output[0].content[0].text == $t and .[-1].response.usage.output_tokens == 16 and .[-1].response.usage.input_tokens == 3)' "responses stream"
billed 3 16 "responses stream"

post chat '{"model":"mock-small","stream":true,"stream_options":{"include_usage":true},"messages":'"$HELLO"'}'
data 'length == 19 and .[0].choices[0].delta == {role: "assistant", content: ""} and .[17].choices[0].finish_reason == "stop" and .[18].usage == {prompt_tokens: 3, completion_tokens: 16, total_tokens: 19}' "chat stream"
grep -q '^data: \[DONE\]' "$tmp/out" && ok || bad "chat stream: no [DONE]"
billed 3 16 "chat stream"

# ---- scripted tool calls, as each agent declares its shell ----------------

# Claude Code: Bash among other tools, a description in its schema.
CC_BODY='{"model":"mock-small","max_tokens":32000,"tools":'"$CC_TOOLS"',"system":[{"type":"text","text":"You are an agent."}],"messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>be brief</system-reminder>"},{"type":"text","text":"'"$LIST"'"}]},{"role":"system","content":"# Environment"}]'
post messages "$CC_BODY}"
out '.stop_reason == "tool_use" and (.content | length) == 2 and .content[0] == {type: "text", text: "I will run a tool."} and .content[1].type == "tool_use" and (.content[1].id | test("^toolu_mock[A-Za-z0-9_-]+$")) and .content[1].name == "Bash" and .content[1].input == {command: "ls", description: "List files"} and .usage.output_tokens == 7' "messages tool call (Claude Code)"
in=$(jq .usage.input_tokens "$tmp/out")
billed "$in" 7 "messages tool call"
post messages "$CC_BODY"',"stream":true}'
seq_is "message_start content_block_start content_block_delta*5 content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop" "messages tool stream"
data '.[8].content_block.type == "tool_use" and .[8].content_block.name == "Bash" and .[8].content_block.input == {} and .[8].index == 1 and .[9].delta.type == "input_json_delta" and (.[9].delta.partial_json | fromjson) == {command: "ls", description: "List files"} and .[-2].delta.stop_reason == "tool_use" and .[-2].usage.output_tokens == 7' "messages tool stream"
billed "$in" 7 "messages tool stream"

# Codex: exec_command {cmd}, beside a hosted tool; its old shell takes an array.
CX_BODY='{"model":"mock-small","tools":'"$CX_TOOLS"',"tool_choice":"auto","parallel_tool_calls":true,"store":false,"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"You are Codex."}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>cwd</environment_context>"}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"'"$LIST"'"}]}]'
post responses "$CX_BODY}"
out '.status == "completed" and (.output | length) == 1 and .output[0].type == "function_call" and .output[0].name == "exec_command" and .output[0].arguments == "{\"cmd\":\"ls\"}" and (.output[0].call_id | startswith("call_mock")) and .usage.output_tokens == 1' "responses tool call (Codex)"
in=$(jq .usage.input_tokens "$tmp/out")
billed "$in" 1 "responses tool call"
post responses "$CX_BODY"',"stream":true}'
seq_is "response.created response.in_progress response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.completed" "responses tool stream"
data '.[2].item.type == "function_call" and .[2].item.arguments == "" and .[3].delta == "{\"cmd\":\"ls\"}" and .[4].arguments == "{\"cmd\":\"ls\"}" and .[5].item.status == "completed" and .[5].item.call_id == .[2].item.call_id and .[-1].response.output[0].call_id == .[2].item.call_id and .[-1].response.usage.output_tokens == 1 and ([.[].sequence_number] == [range(0; length)])' "responses tool stream"
billed "$in" 1 "responses tool stream"
post responses '{"model":"mock-small","tools":'"$CX_SHELL"',"input":"ls please"}'
out '.output[0].name == "shell" and (.output[0].arguments | fromjson) == {command: ["ls"]}' "responses tool call (Codex shell, array)"

# Qwen and opencode: chat tools.
QW_BODY='{"model":"mock-small","max_tokens":32768,"tools":'"$QW_TOOLS"',"messages":[{"role":"system","content":"You are Qwen Code."},{"role":"user","content":[{"type":"text","text":"<system-reminder>x</system-reminder>"},{"type":"text","text":"'"$LIST"'"}]}]'
post chat "$QW_BODY}"
out '.choices[0].finish_reason == "tool_calls" and .choices[0].message.content == null and (.choices[0].message.tool_calls | length) == 1 and .choices[0].message.tool_calls[0].type == "function" and .choices[0].message.tool_calls[0].function.name == "run_shell_command" and (.choices[0].message.tool_calls[0].function.arguments | fromjson) == {command: "ls", description: "List files"} and (.choices[0].message.tool_calls[0].id | startswith("call_mock")) and .usage.completion_tokens == 2' "chat tool call (Qwen)"
in=$(jq .usage.prompt_tokens "$tmp/out")
billed "$in" 2 "chat tool call"
post chat "$QW_BODY"',"stream":true,"stream_options":{"include_usage":true}}'
data 'length == 5 and .[1].choices[0].delta.tool_calls[0].index == 0 and .[1].choices[0].delta.tool_calls[0].function.name == "run_shell_command" and (.[1].choices[0].delta.tool_calls[0].id | startswith("call_mock")) and (.[2].choices[0].delta.tool_calls[0].function.arguments | fromjson) == {command: "ls", description: "List files"} and .[3].choices[0].finish_reason == "tool_calls" and .[4].usage.completion_tokens == 2' "chat tool stream"
billed "$in" 2 "chat tool stream"
post chat '{"model":"mock-small","tool_choice":"auto","tools":'"$OC_TOOLS"',"messages":[{"role":"user","content":"ls"}]}'
out '.choices[0].message.tool_calls[0].function.name == "bash" and (.choices[0].message.tool_calls[0].function.arguments | fromjson) == {command: "ls", description: "List files"}' "chat tool call (opencode)"

# No shell tool, or no listing asked: the 16 words.
post chat '{"model":"mock-small","messages":[{"role":"user","content":"'"$LIST"'"}]}'
out '.choices[0].finish_reason == "stop" and .usage.completion_tokens == 16' "a listing asked without tools"
post messages '{"model":"mock-small","max_tokens":100,"tools":'"$CC_TOOLS"',"messages":[{"role":"user","content":"Tell me about the weather"}]}'
out '.stop_reason == "end_turn" and .usage.output_tokens == 16' "tools without a listing asked"

# ---- parallel calls --------------------------------------------------------

post messages '{"model":"mock-small","max_tokens":100,"tools":'"$CC_TOOLS"',"messages":[{"role":"user","content":"'"$TWO"'"}]}'
out '.stop_reason == "tool_use" and ([.content[] | select(.type == "tool_use")] | length) == 2 and .content[1].id != .content[2].id and .usage.output_tokens == 9' "messages parallel calls"
post messages '{"model":"mock-small","max_tokens":100,"stream":true,"tools":'"$CC_TOOLS"',"messages":[{"role":"user","content":"'"$TWO"'"}]}'
seq_is "message_start content_block_start content_block_delta*5 content_block_stop content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop" "messages parallel stream"
data '[.[] | select(.type == "content_block_start") | .index] == [0, 1, 2] and .[-2].usage.output_tokens == 9' "messages parallel stream"
post responses '{"model":"mock-small","stream":true,"tools":'"$CX_TOOLS"',"input":"'"$TWO"'"}'
seq_is "response.created response.in_progress response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.completed" "responses parallel stream"
data '[.[] | select(.type == "response.output_item.done") | .output_index] == [0, 1] and (.[-1].response.output | length) == 2 and .[-1].response.output[0].call_id != .[-1].response.output[1].call_id and .[-1].response.usage.output_tokens == 2' "responses parallel stream"
post chat '{"model":"mock-small","stream":true,"tools":'"$QW_TOOLS"',"messages":[{"role":"user","content":"'"$TWO"'"}]}'
data '[.[] | .choices[0].delta.tool_calls[0]? | select(. != null and .id != null) | .index] == [0, 1] and .[-1].choices[0].finish_reason == "tool_calls"' "chat parallel stream"

# ---- the tool-result turn --------------------------------------------------

LS='README.md\nhello.txt'
post messages '{"model":"mock-small","max_tokens":100,"tools":'"$CC_TOOLS"',"messages":[{"role":"user","content":"'"$LIST"'"},{"role":"assistant","content":[{"type":"text","text":"I will run a tool."},{"type":"tool_use","id":"toolu_mock1","name":"Bash","input":{"command":"ls"}}]},{"role":"user","content":[{"tool_use_id":"toolu_mock1","type":"tool_result","content":"'"$LS"'","is_error":false,"cache_control":{"type":"ephemeral"}}]}]}'
out '.stop_reason == "end_turn" and .content == [{type: "text", text: "Here is the listing:\nREADME.md\nhello.txt"}] and .usage.output_tokens == 6' "messages tool result"
in=$(jq .usage.input_tokens "$tmp/out")
billed "$in" 6 "messages tool result"
post messages '{"model":"mock-small","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"'"$TWO"'"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"Bash","input":{"command":"ls"}},{"type":"tool_use","id":"b","name":"Bash","input":{"command":"ls"}}]},{"role":"user","content":[{"tool_use_id":"a","type":"tool_result","content":[{"type":"text","text":"one.txt"}]},{"tool_use_id":"b","type":"tool_result","content":"two.txt"}]}]}'
seq_is "message_start content_block_start content_block_delta*6 content_block_stop message_delta message_stop" "messages tool results stream"
data '([.[] | select(.type == "content_block_delta") | .delta.text] | add) == "Here is the listing:\none.txt\ntwo.txt" and .[-2].delta.stop_reason == "end_turn" and .[-2].usage.output_tokens == 6' "messages tool results stream"

CX_OUT='Chunk ID: b820c3\nProcess exited with code 0\nOutput:\nREADME.md\nhello.txt\n'
post responses '{"model":"mock-small","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"'"$LIST"'"}]},{"type":"function_call","id":"fc_1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}","call_id":"call_mock1"},{"type":"function_call_output","call_id":"call_mock1","output":"'"$CX_OUT"'"}]}'
seq_is "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta*15 response.output_text.done response.content_part.done response.output_item.done response.completed" "responses tool result stream"
data '([.[] | select(.type == "response.output_text.delta") | .delta] | add) == "Here is the listing:\nChunk ID: b820c3\nProcess exited with code 0\nOutput:\nREADME.md\nhello.txt\n" and .[-1].response.usage.output_tokens == 15' "responses tool result stream"
in=$(jq '.[-1].response.usage.input_tokens' "$tmp/data")
billed "$in" 15 "responses tool result stream"

post chat '{"model":"mock-small","messages":[{"role":"user","content":"'"$LIST"'"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_mock1","type":"function","function":{"name":"run_shell_command","arguments":"{\"command\":\"ls\"}"}}]},{"role":"tool","tool_call_id":"call_mock1","content":[{"type":"text","text":"Output: README.md\nhello.txt"}]}]}'
out '.choices[0].finish_reason == "stop" and .choices[0].message.content == "Here is the listing:\nOutput: README.md\nhello.txt" and .usage.completion_tokens == 7' "chat tool result (Qwen)"

# ---- the max_tokens cut ----------------------------------------------------

post chat '{"model":"mock-small","max_tokens":5,"messages":'"$HELLO"'}'
out '.choices[0].finish_reason == "length" and (.choices[0].message.content | split(" ") | length) == 5 and .usage.completion_tokens == 5' "chat cut"
billed 3 5 "chat cut"
post messages '{"model":"mock-small","max_tokens":5,"stream":true,"messages":'"$HELLO"'}'
seq_is "message_start content_block_start content_block_delta*5 content_block_stop message_delta message_stop" "messages cut stream"
data '.[-2].delta.stop_reason == "max_tokens" and .[-2].usage.output_tokens == 5' "messages cut stream"
billed 3 5 "messages cut stream"
post responses '{"model":"mock-small","max_output_tokens":5,"input":"hello there friend"}'
out '.status == "incomplete" and .incomplete_details == {reason: "max_output_tokens"} and .output[0].status == "incomplete" and (.output[0].content[0].text | split(" ") | length) == 5 and .usage.output_tokens == 5' "responses cut"
billed 3 5 "responses cut"
post responses '{"model":"mock-small","max_output_tokens":5,"stream":true,"input":"hello there friend"}'
seq_is "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta*5 response.output_text.done response.content_part.done response.output_item.done response.incomplete" "responses cut stream"
data '.[-1].response.status == "incomplete" and .[-1].response.incomplete_details.reason == "max_output_tokens" and .[-1].response.usage.output_tokens == 5' "responses cut stream"
billed 3 5 "responses cut stream"
# A call is made whole or not at all: the text fits, the call does not.
post messages '{"model":"mock-small","max_tokens":6,"tools":'"$CC_TOOLS"',"messages":[{"role":"user","content":"'"$LIST"'"}]}'
out '.stop_reason == "max_tokens" and .content == [{type: "text", text: "I will run a tool."}] and .usage.output_tokens == 5' "messages cut before a call"
post chat '{"model":"mock-small","max_tokens":1,"tools":'"$QW_TOOLS"',"messages":[{"role":"user","content":"'"$LIST"'"}]}'
out '.choices[0].finish_reason == "length" and .choices[0].message.tool_calls == null and .usage.completion_tokens == 0' "chat cut before a call"

# ---- pacing and a client that leaves ---------------------------------------

t0=$(date +%s%N)
post messages '{"model":"mock-slow","max_tokens":100,"stream":true,"messages":'"$HELLO"'}'
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 600 ] && ok || bad "messages stream not paced by chunk_delay_ms: 16 words in $ms ms"
curl -s -N -o "$tmp/cut" -m 0.3 "$U/v1/responses" -H "Authorization: Bearer $K" \
    -d '{"model":"mock-slow","stream":true,"input":"hello there friend"}'
for _ in $(seq 1 50); do
	row=$(sqlite3 "$state/ledger.db" "SELECT status || ' ' || completion_tokens || ' ' || cost FROM requests WHERE model = 'mock-slow' AND status != 'ok'")
	[ -n "$row" ] && break
	sleep 0.1
done
got=$(grep -c '^event: response.output_text.delta' "$tmp/cut")
set -- $row
[ "${1:-}" = cancelled ] && [ "${2:-0}" -ge "$got" ] && [ "${2:-0}" -lt 16 ] && [ "${3:-0}" = $((3 + ${2:-0})) ] &&
    ok || bad "responses stream left mid-way: ledger '$row', $got words received"

grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$tmp/serve.err" && bad "sanitizer report in the gateway's log" || ok
stop
grep -q "LeakSanitizer" "$tmp/serve.err" && bad "leaks: $(grep -m3 'Direct leak' "$tmp/serve.err")" || ok
echo "mock_apis: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
