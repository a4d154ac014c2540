"""The labeller's aids: a category for a rule name, a first guess at what a
line holds, and a test for placeholder-like values.  None of this is a
label by itself: make_corpus.py uses the guess only to route a line to
review (a source's negative that looks like a secret, a line of a whole
file), and build/review.tsv holds what a person decided for those."""
import math
import re

# Rule names and ids of the sources -> this corpus's categories, first hit.
RULE_CATEGORIES = [
	("private-key", r"private.?key|privkey|\bpem\b|pkcs|putty|\bpgp\b|openssh|ssh.?key|jwk|age.?secret|secp256k1"),
	("jwt", r"\bjwt\b|json.?web.?token"),
	("nkey", r"nkey|\bnats\b"),
	("config-auth", r"netrc|docker.?(cfg|config|hub|auth)|npmrc|pypirc|htpasswd|\bdocker\b"),
	("aws", r"\baws\b|amazon|bedrock|\bs3\b"),
	("gcp", r"\bgcp\b|google|firebase|\bgcs\b|gemini"),
	("azure", r"azure|microsoft|msteams|office365|\bms\b"),
	("github", r"github"),
	("gitlab", r"gitlab"),
	("slack", r"slack"),
	("stripe", r"stripe"),
	("twilio", r"twilio"),
	("llm", r"openai|anthropic|hugging.?face|\bgroq\b|cohere|mistral|perplexity|deepseek|replicate|\bxai\b|langchain|langsmith|claude"),
	("package-registry", r"\bnpm\b|pypi|rubygems|nuget|crates|clojars|packagist|pub.?dev|artifactory|jfrog|yarn|hex.?pm|gemfury|cocoapods"),
	("url-credentials", r"connection|\burl\b|\buri\b|postgres|mysql|mongo|redis|jdbc|amqp|rabbitmq|database|\bdb\b|odbc|ldap|ftp|smtp"),
	("auth-header", r"basic.?auth|bearer|authorization|basicauth|auth.?header|credentials.?in.?header"),
	("password-assignment", r"password|passwd|\bpwd\b|passphrase"),
	("generic-token", r"generic|keyword|high.?entropy|base64|hex.?high|secret.?assign|api.?key.?assign"),
]


def rule_category(text):
	t = text.lower().replace("_", " ").replace("-", " ").replace(".", " ")
	for cat, pat in RULE_CATEGORIES:
		if re.search(pat, t):
			return cat
	return "other-service"


# A first guess at whether a line holds a secret, and which kind: strong
# shapes only, then assignments of literal values to secret-like names.
LINE_SHAPES = [
	("private-key", r"-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----|PuTTY-User-Key-File|\"d\"\s*:\s*\"[A-Za-z0-9_-]{20,}|SU[A-Z2-7]{56}"),
	("aws", r"\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b|aws.{0,20}secret.{0,20}[=:].{0,5}[A-Za-z0-9/+=]{40}"),
	("gcp", r"AIza[0-9A-Za-z_-]{35}|\"type\":\s*\"service_account\"|GOCSPX-|ya29\.[0-9A-Za-z_-]{20,}"),
	("github", r"\bgh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"),
	("gitlab", r"\bgl(pat|dt|rt|ptt|cbt|oas|imt|agent|ft|soat)-[A-Za-z0-9_-]{15,}"),
	("slack", r"xox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com/(services|workflows)/|xapp-\d"),
	("stripe", r"\b[rsp]k_(live|test|prod)_[A-Za-z0-9]{10,}"),
	("twilio", r"\bSK[0-9a-fA-F]{32}\b"),
	("llm", r"sk-ant-[a-z0-9]+-|sk-proj-|sk-[A-Za-z0-9]{20}T3BlbkFJ|\bhf_[A-Za-z0-9]{30,}|gsk_[A-Za-z0-9]{40,}|\bsk-[A-Za-z0-9_-]{40,}"),
	("package-registry", r"\bnpm_[A-Za-z0-9]{36}|pypi-AgE|rubygems_[0-9a-f]{40}|oy2[a-z0-9]{43}|_authToken\s*=\s*[^\s$]{8,}"),
	("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
	("auth-header", r"(?i)authorization[\"']?\s*[:=]\s*[\"']?(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}|\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{16,}=*"),
	("url-credentials", r"[a-z][a-z0-9+.-]*://[^\s:/@\"'<>]+:[^\s/@\"'<>{}$]{3,}@[^\s]"),
	("config-auth", r"\"auth\"\s*:\s*\"[A-Za-z0-9+/=]{8,}\"|machine\s+\S+\s+login\s+\S+\s+password\s+\S+|^\s*password\s+\S+\s*$"),
	("password-assignment", r"(?i)(password|passwd|\bpwd|pass_?phrase|db_?pass)[\w.-]{0,20}[\"']?\s*(=|:|=>|:=|==|!=)\s*[\"'`]?[^\s\"'`$<{%][^\s\"'`]{3,}"),
	("generic-token", r"(?i)(secret|token|api_?key|apikey|access_?key|auth_?key|client_?secret|private_?key|credential)[\w.-]{0,20}[\"']?\s*(=|:|=>|:=)\s*[\"'`]?[A-Za-z0-9+/_=.-]{12,}"),
]
LINE_RE = [(c, re.compile(p)) for c, p in LINE_SHAPES]


def guess_line(line):
	"""(category, matched text) for the first shape that a line has."""
	for cat, rx in LINE_RE:
		m = rx.search(line)
		if m:
			return cat, m.group(0)
	return None, None


def entropy(s):
	if not s:
		return 0.0
	n = len(s)
	counts = {}
	for ch in s:
		counts[ch] = counts.get(ch, 0) + 1
	return -sum(c / n * math.log2(c / n) for c in counts.values())


PLACEHOLDER = re.compile(
	r"(?i)example|xxxx|your[_-]?|placeholder|dummy|\bfake|fakefake|redacted"
	r"|changeme|change_me|replace|<[a-z_ -]+>|\$\{|\{\{|%[A-Z_]+%|\*\*\*\*"
	r"|1234567|2345678|abcdefgh|bcdefghi|qwerty|a1b2c3|abcd1234|0000000|1111111"
	r"|(.)\1{6,}|deadbeef|cafebabe")


def value_tokens(line):
	return re.findall(r"[A-Za-z0-9_+/=.~-]{8,}", line)


def placeholderish(line):
	"""True when the most secret-looking value of a line is a placeholder
	or a pattern-test string (a sequence, a run, a marker word)."""
	toks = value_tokens(line)
	if not toks:
		return False
	best = max(toks, key=lambda t: (entropy(t) * min(len(t), 40), len(t)))
	longest = max(toks, key=len)
	for tok in {best, longest}:
		if PLACEHOLDER.search(tok):
			return True
		if len(tok) >= 16 and entropy(tok) < 2.6:
			return True
	return False
