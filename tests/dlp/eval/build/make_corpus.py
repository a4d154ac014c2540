#!/usr/bin/env python3
"""Build tests/dlp/eval/corpus/ and labels.tsv from local mirrors of the
public repositories that SOURCES.md lists.

	build/make_corpus.py MIRRORS_DIR

MIRRORS_DIR holds one bare git directory per repository, named
OWNER+NAME/repo (what the fetch tool leaves); files are read at the
commit that SOURCES.md names.  The output is deterministic (fixed seeds).
A line whose label a person decided is in build/review.tsv, keyed by a
hash of its source and text; the lines decided by the labelling rules
(policy() below) are listed in build/audit.tsv with the rule that decided."""
import collections
import hashlib
import os
import random
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gitleaks_tps  # noqa: E402
import judge  # noqa: E402

COMMITS = {
	"gitleaks/gitleaks": "b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b",
	"praetorian-inc/noseyparker": "2e6e7f36ce36619852532bbe698d8cb7a26d2da7",
	"mongodb/kingfisher": "ee7c0db3ef87575768f817820c24736249ffcdef",
	"Yelp/detect-secrets": "5e141933554a0b74e7341841f318be21e895339c",
	"secretlint/secretlint": "18346ba31b8173d52060b971221ab38c1943def0",
	"Skyscanner/whispers": "5832bf74dcb127128ba653ed87601c927124b5aa",
	"psf/requests": "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e",
	"oauthlib/oauthlib": "40b0ab56da3682c2484a4b78bbff309f8025d950",
	"pallets/werkzeug": "1b00618e787f40dfb21eba29caf8f8be7c8e1d93",
	"expressjs/express": "a3714473feb3d2908add734d340e7755fd85e0a3",
}
SOURCE_ID = {
	"gitleaks/gitleaks": "gitleaks", "praetorian-inc/noseyparker": "noseyparker",
	"mongodb/kingfisher": "kingfisher", "Yelp/detect-secrets": "detect-secrets",
	"secretlint/secretlint": "secretlint", "Skyscanner/whispers": "whispers",
	"psf/requests": "requests", "oauthlib/oauthlib": "oauthlib",
	"pallets/werkzeug": "werkzeug", "expressjs/express": "express",
}
MIRRORS = None


def git(repo, *args):
	d = os.path.join(MIRRORS, repo.replace("/", "+"), "repo")
	return subprocess.run(["git", "--git-dir", d] + list(args), check=True,
	    capture_output=True).stdout


def show(repo, path):
	return git(repo, "show", "%s:%s" % (COMMITS[repo], path)).decode("utf-8", "replace")


def ls(repo, prefix):
	out = git(repo, "ls-tree", "-r", "--name-only", COMMITS[repo], *([prefix] if prefix else []))
	return [p for p in out.decode().split("\n") if p]


def key(source, text):
	return hashlib.sha1((source + "\0" + text).encode()).hexdigest()[:12]


# --- review decisions ------------------------------------------------------

REVIEW = {}


def load_review():
	p = os.path.join(HERE, "review.tsv")
	if not os.path.exists(p):
		return
	for ln in open(p, encoding="utf-8"):
		if ln.startswith("#") or not ln.strip():
			continue
		f = ln.rstrip("\n").split("\t")
		REVIEW[f[0]] = (f[1], f[2] if len(f) > 2 else "")


CODE_VALUE = re.compile(
	r"""(?ix)(=|:|=>|:=|==|!=)\s*["'`]?\s*(
	  null\b|none\b|nil\b|true\b|false\b|undefined\b
	| (process\.)?env[.\[] | os\.(getenv|environ) | getenv | \$ | %\( | \#\{ | \#[a-z-]+["']
	| [A-Za-z_][\w.]*\s*\( | [A-Za-z_]\w*\.[A-Za-z_][\w.]*\s*(\)|,|;|$|\[|\s*or\b|\s*\|\|)
	| \(char | arn: | request\. | self\. | this\. | [A-Za-z_]{1,30}\s*$ | [A-Za-z_]{1,30}\s*[,;)]
	)""")
NOT_REAL = re.compile(r"(?i)fake|not.?a.?real|notreal|notarealkey|insert_key_here|your_|your-|"
    r"\bmy(password|username|database|dataBase|serveraddress)|real_key|somefake|"
    r"\b(user(name)?|admin|root|foo):(pass(word)?|secret|bar)@|\.\.\.|\[redacted\]|"
    r"(=|:)\s*[\"']?(password|secret|token|pass|some_password)[\"']?\s*$|\.tgz#|"
    r"^\s*password\s+[\"']?(password|some_password)[\"']?\s*$|"
    r"\"type\":\s*\"service_account\"|private_key_id|hashed_secret|detect_secrets\.main|notHighEnoughEntropy")
AUDIT = []


def policy(source, text, proposal, why):
	"""The labelling rules for a line that needs judgement (README.md,
	'How items were labelled'): placeholders and code are negatives; a
	realistic value is a positive where its source expects a secret and is
	left out (unscored) where the source says it is not one."""
	t = text.strip()
	if proposal == "none":
		return "none", "no secret shape; keyword only"
	if proposal == "private-key" and "\n" in t:
		body = [l for l in t.split("\n") if re.fullmatch(r"\s*[A-Za-z0-9+/=]{40,}\s*", l)]
		if re.search(r"(?i)\.\.\.|\*\*\*|xxxx|placeholder|example|redacted", t) or not body:
			return "none", "private key block with a placeholder body"
		return "private-key", "private key block with a key body"
	if judge.placeholderish(t) or NOT_REAL.search(t):
		return "none", "placeholder or marked not real"
	strong = any(len(x) >= 24 and judge.entropy(x) > 4.0 for x in judge.value_tokens(t)) or \
	    re.search(r"-----BEGIN|eyJ|AKIA|gh[pousr]_|xox|sk_live|glpat|://[^/\s]+:[^@\s]+@", t)
	if CODE_VALUE.search(t) and not strong:
		if "positive example" in why and re.search(r"[=:]\s*[\"']?[A-Za-z_]{4,30}[\"']?\s*$", t):
			return "drop", "bare word where the source expects a secret: unscored"
		return "none", "value is code or a reference"
	if why.startswith("code line") or why.startswith("code "):
		return "drop", "realistic value in documentation or code (e.g. an RFC example): unscored"
	if "negative example" in why or "ok-fixture" in why:
		return "drop", "realistic value that its source calls a non-secret: unscored"
	return proposal, "realistic value where the source expects a secret"


def decide(source, text, proposal, why):
	"""A person's decision for this line where review.tsv has one, else the
	labelling rules; every automatic decision is written to audit.tsv."""
	k = key(source, text)
	if k in REVIEW:
		return REVIEW[k][0]
	lab, rule = policy(source, text, proposal, why)
	AUDIT.append((k, lab, rule, source, why, text))
	return lab


# --- output ----------------------------------------------------------------

class Corpus:
	def __init__(self):
		self.files = collections.OrderedDict()   # path -> [lines]
		self.labels = []   # (path, line, label, source, end_line, notes)
		self.dropped = collections.Counter()
		self.seen = set()

	def lines(self, path):
		return self.files.setdefault(path, [])

	def add_block(self, path, block, labels, source, notes, sep=True):
		"""Append lines; labels: [(offset, end_offset, label)]."""
		buf = self.lines(path)
		if sep and buf and buf[-1] != "":
			buf.append("")
		base = len(buf) + 1
		buf.extend(block)
		for off, end, lab in labels:
			self.labels.append((path, base + off, lab, source,
			    base + end if end != off else "", notes))

	def write(self):
		root = os.path.join(EVAL, "corpus")
		for path, buf in self.files.items():
			full = os.path.join(root, path)
			os.makedirs(os.path.dirname(full), exist_ok=True)
			with open(full, "w", encoding="utf-8") as f:
				f.write("\n".join(buf) + "\n")
		with open(os.path.join(EVAL, "labels.tsv"), "w", encoding="utf-8") as f:
			f.write("# path\tline\tlabel\tsource\tend_line\tnotes\n")
			for row in sorted(self.labels, key=lambda r: (r[0], r[1])):
				f.write("\t".join(str(x) for x in row) + "\n")


C = Corpus()

# --- embedding of bare strings and one-line examples ----------------------

LANGS = ["env", "py", "yaml", "js", "go", "sh"]


def ident(rule_name):
	w = re.sub(r"[^A-Za-z0-9]+", "_", rule_name).strip("_").lower()
	return w or "secret"


def embed(value, name, lang):
	n = ident(name)
	if lang == "env":
		return "%s=%s" % (n.upper(), value)
	if lang == "py":
		return '%s = "%s"' % (n.upper(), value)
	if lang == "yaml":
		return "%s: %s" % (n, value)
	if lang == "js":
		return "const %s = '%s';" % (re.sub(r"_(.)", lambda m: m.group(1).upper(), n), value)
	if lang == "go":
		return '\t%s := "%s"' % (re.sub(r"_(.)", lambda m: m.group(1).upper(), n), value)
	return 'export %s="%s"' % (n.upper(), value)


def sniff(text):
	t = text.strip()
	if re.match(r"(curl|export |\$ |wget |http |git )", t) or "\\\n" in text:
		return "sh"
	if re.match(r"[A-Z][A-Z0-9_]*=", t):
		return "env"
	if re.match(r"[\w.-]+:\s", t) and "{" not in t[:3]:
		return "yaml"
	if re.search(r"\b(const|let|var|function)\b|=>", t):
		return "js"
	if ":=" in t:
		return "go"
	if re.match(r"\w+\s*=\s*[\"']", t):
		return "py"
	if t.startswith("{") or t.startswith('"'):
		return "json.txt"
	return "txt"


def is_bare(text):
	return not re.search(r"[\s=:\"'`]", text.strip()) or \
	    re.fullmatch(r"[A-Za-z0-9_+/=.~-]+(:[A-Za-z0-9_+/=.~-]+)?", text.strip()) is not None


# --- one example string from a rule's test data ----------------------------

def add_example(source, rule_id, rule_name, text, positive, category, rx=None, nonsecret=False):
	"""One example of a rule (a bare string, a line or a snippet): embed
	it, label the line(s) holding the secret, route doubtful ones to review."""
	text = text.replace("\r\n", "\n").rstrip("\n")
	if not text.strip() or len(text) > 6000:
		C.dropped["%s: empty or huge" % source] += 1
		return
	dedup = text.strip()
	if dedup in C.seen:
		C.dropped["%s: duplicate of an earlier item" % source] += 1
		return
	C.seen.add(dedup)
	rnd = random.Random(key(source, text))
	if "\n" not in text and is_bare(text):
		lang = rnd.choice(LANGS)
		block = [embed(text.strip(), rule_name, lang)]
		notes = "bare example string of rule %s, embedded in an assignment" % rule_id
	else:
		lang = sniff(text)
		block = text.split("\n")
		notes = "example of rule %s, as given" % rule_id
	if positive and nonsecret:
		positive = False
		notes += "; the rule finds an identifier, not a secret"
	# Which lines hold the secret: the rule's own regex where Python can
	# compile it, else the line guesser, else the whole block.
	secret_lines = []
	if positive:
		joined = "\n".join(block)
		m = None
		if rx is not None:
			try:
				m = rx.search(joined)
			except Exception:
				m = None
		if m:
			s, e = (m.span(1) if m.re.groups >= 1 and m.group(1) else m.span())
			first = joined.count("\n", 0, s)
			last = joined.count("\n", 0, max(s, e - 1))
			secret_lines = [(first, last)]
		else:
			hits = [i for i, l in enumerate(block) if judge.guess_line(l)[0]]
			if hits:
				secret_lines = [(hits[0], hits[-1])] if len(hits) > 1 and \
				    all(block[i].strip() for i in range(hits[0], hits[-1] + 1)) and \
				    "PRIVATE KEY" in joined else [(h, h) for h in hits]
			else:
				nb = [i for i, l in enumerate(block) if l.strip()]
				secret_lines = [(nb[0], nb[-1])]
	labels = []
	covered = set()
	for a, b in secret_lines:
		line = "\n".join(block[a:b + 1])
		lab = category
		why = "source says secret"
		if judge.placeholderish(block[a] if a == b else line):
			lab = "drop"
			why = "source says secret; value looks like a placeholder or pattern test"
			lab = decide(source, line, lab, why) if key(source, line) in REVIEW else lab
		else:
			lab = REVIEW.get(key(source, line), (lab,))[0]
		if lab == "drop":
			C.dropped["%s: positive example looks like a placeholder/pattern test" % source] += 1
			return
		labels.append((a, b, lab))
		covered.update(range(a, b + 1))
	for i, l in enumerate(block):
		if i in covered or not l.strip():
			continue
		g, _ = judge.guess_line(l)
		if g:
			lab = decide(source, l, g, "line of a %s example that looks like a secret" %
			    ("positive" if positive else "negative"))
		elif positive:
			continue  # context line of a positive snippet: unscored
		else:
			lab = REVIEW.get(key(source, l), ("none",))[0]
		if lab == "drop":
			if not positive:
				C.dropped["%s: negative example that is doubtful" % source] += 1
				return
			continue
		labels.append((i, i, lab))
	if not labels:
		return
	ext = lang if "." in lang else lang
	sub = "examples" if positive else "negatives"
	path = "%s/%s/%s.%s" % (source, sub, category if positive else "mixed", ext)
	C.add_block(path, block, labels, source, notes, sep=len(block) > 1 or lang in ("txt", "json.txt", "sh"))


def py_regex(pattern):
	p = pattern
	p = p.replace("(?x)(?i)", "(?ix)").replace("(?xi)", "(?ix)")
	p = re.sub(r"\\z", r"\\Z", p)
	p = p.replace("[[:alnum:]]", "[A-Za-z0-9]").replace("[[:alpha:]]", "[A-Za-z]")
	p = p.replace("(?-u)", "")
	# Rust allows flags mid-pattern, Python only at the start
	flags = "".join(sorted(set(re.findall(r"\(\?([imsx]+)\)", p)[:1][0]))) if re.findall(r"\(\?([imsx]+)\)", p) else ""
	p = re.sub(r"\(\?[imsx]+\)", "", p)
	try:
		return re.compile(("(?%s)" % flags if flags else "") + p)
	except re.error:
		return None


NONSECRET_NAME = re.compile(r"(?i)\b(url|host|hostname|endpoint|domain|bucket|account id|"
    r"region|username|user ?name|user id|client id|org(anization)? id|tenant id|public|"
    r"project id|app id|application id|subdomain|instance|identifier|recipient)\b")
SECRET_NAME = re.compile(r"(?i)secret|token|password|credential|private|api key|auth key|access key")


def from_rule_yaml(repo, prefix):
	src = SOURCE_ID[repo]
	for path in ls(repo, prefix):
		if not path.endswith((".yml", ".yaml")):
			continue
		doc = yaml.safe_load(show(repo, path)) or {}
		for r in doc.get("rules") or []:
			rid, name = r.get("id", "?"), r.get("name", "?")
			cats = r.get("categories") or []
			if "hashed" in cats or re.search(r"(?i)hash", name):
				C.dropped["%s: password-hash rule (not a credential by itself)" % src] += len(r.get("examples") or [])
				continue
			if cats:
				nonsecret = "secret" not in cats and "identifier" in cats and rid != "np.aws.1"
			else:
				nonsecret = bool(NONSECRET_NAME.search(name)) and not SECRET_NAME.search(name)
			if rid in ("np.mapbox.1",):
				nonsecret = True
			cat = judge.rule_category(rid + " " + name)
			rx = py_regex(r.get("pattern", ""))
			for ex in r.get("examples") or []:
				add_example(src, rid, name, ex, True, cat, rx, nonsecret)
			for ex in r.get("negative_examples") or []:
				add_example(src, rid, name, ex, False, cat, rx)


def from_gitleaks():
	repo = "gitleaks/gitleaks"
	for path in ls(repo, "cmd/generate/config/rules/"):
		if not path.endswith(".go") or path.endswith("_test.go"):
			continue
		base = os.path.basename(path)
		for rule, which, s in gitleaks_tps.rule_examples(show(repo, path), base):
			cat = judge.rule_category(rule)
			if re.match(r"pkcs12|.*-file$", rule):
				continue
			add_example("gitleaks", rule, rule, s, which == "tp", cat)


def from_detect_secrets_tests():
	"""(payload, should_flag) tuples of tests/plugins/*_test.py."""
	import ast
	repo = "Yelp/detect-secrets"
	for path in ls(repo, "tests/plugins/"):
		if not path.endswith("_test.py") or "base_test" in path or "ip_public" in path:
			continue
		src = show(repo, path)
		tree = ast.parse(src)
		env = {}
		for node in tree.body:
			if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
			    isinstance(node.targets[0], ast.Name):
				try:
					env[node.targets[0].id] = eval(compile(ast.Expression(node.value), path, "eval"),
					    {"__builtins__": {}}, dict(env))
				except Exception:
					pass
		plugin = os.path.basename(path)[:-8]
		cat = judge.rule_category(plugin)
		for node in ast.walk(tree):
			if not (isinstance(node, ast.Tuple) and len(node.elts) >= 2):
				continue
			try:
				payload = eval(compile(ast.Expression(node.elts[0]), path, "eval"),
				    {"__builtins__": {}}, dict(env))
				flag = eval(compile(ast.Expression(node.elts[1]), path, "eval"),
				    {"__builtins__": {}}, dict(env))
			except Exception:
				continue
			if not isinstance(payload, str) or isinstance(flag, (int, float)) and not isinstance(flag, bool):
				continue
			if isinstance(flag, str) and flag != "":
				pos = True
			elif isinstance(flag, bool):
				pos = flag
			elif flag is None:
				pos = False
			else:
				continue
			if len(payload) > 2000 or "\x00" in payload:
				continue
			c = cat
			if plugin in ("keyword", "high_entropy_strings"):
				c = judge.guess_line(payload)[0] or "generic-token"
				if c not in ("password-assignment", "generic-token"):
					c = c if pos else c
			add_example("detect-secrets", "plugin:" + plugin, plugin, payload, pos, c)


# --- whole files, labelled line by line -------------------------------------

KEYWORDY = re.compile(r"(?i)pass|pwd|secret|token|key|auth|cred|private|bearer|://[^/\s]*@|-----")


def add_file(source, repo, path, dest, kind, cat_hint=None):
	"""Copy a file; label each non-blank line.  kind 'fixture' (a test file
	of a scanner: secrets expected) or 'code' (ordinary source: none
	expected).  Lines the guesser or a keyword flags go to review."""
	text = show(repo, path)
	if "\x00" in text:
		return
	lines = text.replace("\r\n", "\n").split("\n")
	if lines and lines[-1] == "":
		lines.pop()
	labels = []
	# A PEM private key block is one item, from BEGIN to END.
	inblock = set()
	i = 0
	while i < len(lines):
		if re.search(r"-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----", lines[i]) and \
		    not re.search(r"-----END", lines[i]):
			j = i + 1
			while j < len(lines) and j < i + 200 and "-----END" not in lines[j]:
				j += 1
			if j < len(lines) and "-----END" in lines[j]:
				body = "\n".join(lines[i:j + 1])
				lab = decide(source, body, "private-key", "%s private key block" % kind)
				if lab != "drop":
					labels.append((i, j, lab))
				inblock.update(range(i, j + 1))
				i = j + 1
				continue
		i += 1
	for i, l in enumerate(lines):
		if not l.strip() or i in inblock:
			continue
		g, _ = judge.guess_line(l)
		toks = judge.value_tokens(l)
		hi = any(len(t) >= 16 and judge.entropy(t) > 3.7 for t in toks)
		if g:
			lab = decide(source, l, g, "%s line that looks like a secret" % kind)
			if kind == "fixture" and lab not in ("none", "drop") and cat_hint:
				lab = cat_hint if g in ("generic-token", "password-assignment") and cat_hint not in ("other-service",) else lab
		elif kind in ("fixture", "ok-fixture") and (KEYWORDY.search(l) or hi):
			lab = decide(source, l, "none", "fixture line with a keyword or random-looking value")
		elif kind == "code" and hi and not re.search(r"^\s*(#|//|\*)", l):
			lab = decide(source, l, "none", "code line with a random-looking value")
		else:
			lab = REVIEW.get(key(source, l), ("none",))[0]
		if lab == "drop":
			continue
		labels.append((i, i, lab))
	C.files[dest] = []
	C.add_block(dest, lines, labels, source,
	    "%s:%s, copied as is" % (repo, path), sep=False)


SECRETLINT_SKIP = re.compile(r"filter-comments|secretlint-rule-pattern|no-homedir|no-dotenv|"
    r"no-k8s-kind-secret|source-creator|secretlint-rule-example|preset-|\.p12$|options\.")


def from_secretlint():
	repo = "secretlint/secretlint"
	for path in ls(repo, "packages/@secretlint/"):
		if "/test/snapshots/" not in path or not re.search(r"/input(\.[a-z]+)?$", path):
			continue
		if SECRETLINT_SKIP.search(path):
			continue
		m = re.match(r"packages/@secretlint/secretlint-rule-([^/]+)/test/snapshots/(.+)/input(\.[a-z]+)?$", path)
		if not m:
			continue
		rule, case, ext = m.group(1), m.group(2), m.group(3) or ".txt"
		dest = "secretlint/%s/%s%s" % (rule, re.sub(r"[^A-Za-z0-9._-]+", "_", case), ext)
		add_file("secretlint", repo, path, dest,
		    "ok-fixture" if case.startswith("ok.") or "placeholder" in case else "fixture",
		    judge.rule_category(rule))


WHISPERS_SECTION = re.compile(r"(?i)\b(non-?compliant|incompliant|blocker|critical|major|minor)\b")
WHISPERS_OK = re.compile(r"(?i)\b(compliant|excluded|info)\b")
WHISPERS_MARK = re.compile(r"(?i)hardcod|fake|HARDC0D3D|PRIVATE KEY|AKIA")
WHISPERS_SKIP = {  # noncompliant for whispers, but not a credential here
	"language.html": "comments", "paths.yml": "file paths", ".htpasswd": "password hashes",
	"cloudformation.json": "a default of 'admin' two lines below the name",
	"cloudformation.yml": "a default of 'admin' two lines below the name",
}


def whispers_category(base, line):
	g, _ = judge.guess_line(line)
	if base in (".npmrc", ".dockercfg", ".pypirc"):
		return "config-auth"
	if g in ("aws", "github", "slack", "private-key", "url-credentials"):
		return g
	if "://" in line or "jdbc:" in line or "Database=" in line:
		return "url-credentials"
	if re.search(r"(?i)webhook", line):
		return "other-service"
	if re.search(r"(?i)aws", line):
		return "aws"
	if re.search(r"(?i)pass|pwd|-u |--user|login", line):
		return "password-assignment"
	return "generic-token"


def from_whispers():
	"""Whispers' fixtures are split into compliant and noncompliant
	sections, and every noncompliant value carries a marker (hardcoded,
	fake).  A line is a positive when it is in a noncompliant section and
	holds a marked literal value; everything else is a negative, but for
	the exceptions in WHISPERS_SKIP (unscored) and jenkins' password hash."""
	repo = "Skyscanner/whispers"
	for path in ls(repo, "tests/fixtures/"):
		base = path[len("tests/fixtures/"):]
		if base.endswith(".gitkeep") or base in ("invalid.json", "creditcards.yml", "language.py2"):
			continue
		dest = "whispers/" + base.replace("/", "_")
		lines = show(repo, path).split("\n")
		if lines and lines[-1] == "":
			lines.pop()
		section = "secret" if base in ("settings.conf", ".npmrc", ".dockercfg") else "ok"
		labels = []
		for i, l in enumerate(lines):
			if WHISPERS_SECTION.search(l):
				section = "secret"
			elif WHISPERS_OK.search(l) and not re.search(r"(?i)hardcod", l):
				section = "ok"
			if not l.strip():
				continue
			k = key("whispers", "%s:%d" % (base, i + 1))
			if k in REVIEW:
				lab = REVIEW[k][0]
			elif base == ".dockercfg":
				lab = "config-auth" if re.search(r'"auth": "[A-Za-z0-9+/=]{12,}"', l) else "none"
			elif "PRIVATE KEY-----" in l:
				lab = "private-key"
			elif base == ".npmrc":
				lab = "config-auth" if "hardcoded" in l else "none"
			elif section == "secret" and WHISPERS_MARK.search(l) and \
			    re.search(r"[=:>]\s*[\"'{]?\S|^\s*-?\s*\"?\w*hardcod|-----BEGIN", l, re.I):
				if base in WHISPERS_SKIP or "PasswordHash" in l:
					lab = "drop"
				elif re.search(r"\w+:\s*$|_hardcoded_passwords\W*$", l) or re.search(r"^\s*<[\w.]+>\s*$", l):
					lab = "none"
				else:
					lab = whispers_category(base, l)
			else:
				lab = "none"
			if lab == "drop":
				continue
			labels.append((i, i, lab))
		C.files[dest] = []
		C.add_block(dest, lines, labels, "whispers", "%s:%s, copied as is" % (repo, path), sep=False)


def from_detect_secrets_data():
	repo = "Yelp/detect-secrets"
	for path in ls(repo, "test_data/"):
		if re.search(r"performance/|baseline\.file|word_list|/tmp/|__init__", path):
			continue
		add_file("detect-secrets", repo, path, "detect-secrets/" + path[len("test_data/"):],
		    "ok-fixture" if "no_secrets" in path else "fixture")


NEGATIVE_FILES = {
	"psf/requests": ["src/requests/auth.py", "src/requests/sessions.py", "src/requests/utils.py",
	    "src/requests/adapters.py", "src/requests/models.py", "docs/user/authentication.rst",
	    "docs/user/advanced.rst", "docs/user/quickstart.rst"],
	"oauthlib/oauthlib": ["oauthlib/oauth2/rfc6749/tokens.py",
	    "oauthlib/oauth2/rfc6749/grant_types/base.py",
	    "oauthlib/oauth2/rfc6749/grant_types/resource_owner_password_credentials.py",
	    "oauthlib/oauth2/rfc6749/grant_types/refresh_token.py",
	    "oauthlib/oauth2/rfc6749/request_validator.py",
	    "oauthlib/oauth2/rfc6749/clients/base.py",
	    "oauthlib/oauth2/rfc6749/endpoints/token.py",
	    "oauthlib/oauth1/rfc5849/signature.py", "oauthlib/oauth1/rfc5849/__init__.py",
	    "docs/oauth2/server.rst", "docs/oauth1/server.rst"],
	"pallets/werkzeug": ["src/werkzeug/security.py", "src/werkzeug/datastructures/auth.py",
	    "src/werkzeug/test.py", "docs/config.rst" ],
	"expressjs/express": ["lib/response.js", "lib/request.js", "examples/auth/index.js",
	    "examples/cookie-sessions/index.js", "examples/session/index.js",
	    "examples/web-service/index.js", "History.md"],
}


def from_negatives():
	for repo, paths in NEGATIVE_FILES.items():
		src = SOURCE_ID[repo]
		have = set(ls(repo, ""))
		for p in paths:
			if p not in have:
				print("missing %s:%s" % (repo, p), file=sys.stderr)
				continue
			add_file(src, repo, p, "code/%s/%s" % (src, p.replace("/", "_")), "code")


def main():
	global MIRRORS
	MIRRORS = sys.argv[1]
	load_review()
	root = os.path.join(EVAL, "corpus")
	if os.path.isdir(root):
		subprocess.run(["rm", "-rf", root], check=True)
	from_rule_yaml("praetorian-inc/noseyparker", "crates/noseyparker/data/default/builtin/rules/")
	from_rule_yaml("mongodb/kingfisher", "data/rules/")
	from_gitleaks()
	from_detect_secrets_tests()
	from_secretlint()
	from_whispers()
	from_detect_secrets_data()
	from_negatives()
	C.write()
	with open(os.path.join(HERE, "audit.tsv"), "w", encoding="utf-8") as f:
		f.write("# key\tdecision\trule\tsource\tcontext\ttext (automatic decisions, for audit)\n")
		for k, lab, rule, src, why, text in AUDIT:
			f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (k, lab, rule, src, why, text.replace("\t", "\\t").replace("\n", "\\n")[:300]))
	with open(os.path.join(HERE, "dropped.txt"), "w", encoding="utf-8") as f:
		for k, v in sorted(C.dropped.items()):
			f.write("%d\t%s\n" % (v, k))
	cnt = collections.Counter(r[2] for r in C.labels)
	print("items=%d audited=%d" % (len(C.labels), len(AUDIT)), dict(cnt))


if __name__ == "__main__":
	main()
