/*
 * What a raw match must also be to become a finding (dlp_int.h): each
 * rule's validator (an entropy gate, Luhn, IBAN mod 97, placeholder and
 * template filters), and the end filter that makes email's cheap end
 * pattern exact.  Apart from dlp.c because these are plain functions of
 * the matched bytes, with no regex library: the rules table names them,
 * the scan calls them, and they are tested and tuned on their own.
 */
#define _GNU_SOURCE	/* memmem, memrchr */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "dlp_int.h"

/* ---- validators ---------------------------------------------------- */

static double
entropy(const uint8_t *s, size_t n)
{
	unsigned count[256] = { 0 };
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[s[i]]++;
	for (size_t i = 0; i < 256; i++)
		if (count[i] != 0) {
			double p = (double)count[i] / (double)n;

			h -= p * log2(p);
		}
	return h;
}

/* Documentation and template values, not secrets. */
static int
placeholder(const uint8_t *s, size_t n)
{
	static const char *const marks[] = { "EXAMPLE", "example", "xxxx",
	    "XXXX", "****", "<", ">", "${", "{{", "your", "YOUR", "changeme",
	    "CHANGEME", "dummy", "DUMMY", "placeholder", "PLACEHOLDER",
	    "redacted", "REDACTED", "0000000000", "1234567890", "abcdef",
	    "...", NULL };

	for (size_t i = 0; marks[i] != NULL; i++)
		if (memmem(s, n, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return 0;
}

/* The token after its prefix ("ghp_", "sk-proj-", "key = "): past the
 * last separator among the first 16 bytes, the rest must look random. */
int
dlp_valid_entropy_tail(const uint8_t *m, size_t n)
{
	size_t i = 0;

	for (size_t k = 0; k < n && k < 16; k++)
		if (m[k] == '_' || m[k] == '-' || m[k] == ' ' || m[k] == '=' ||
		    m[k] == ':' || m[k] == '"' || m[k] == '\'')
			i = k + 1;
	if (n - i < 16)
		i = 0;
	if (placeholder(m, n))
		return 0;
	return entropy(m + i, n - i) >= 3.0;
}

int
dlp_valid_aws(const uint8_t *m, size_t n)
{
	return !placeholder(m, n) && entropy(m + 4, n - 4) >= 2.5;
}


#define PEM_REACH	16384	/* how far a block's END may be */
#define PEM_MIN_B64	40	/* key material: base64 characters */

/* Whitespace in a key block, written out or escaped inside a string. */
static size_t
pem_space(const uint8_t *p, size_t n)
{
	if (n > 0 && (p[0] == '\n' || p[0] == '\r' || p[0] == ' ' ||
	    p[0] == '\t'))
		return 1;
	if (n > 1 && p[0] == '\\' && (p[1] == 'n' || p[1] == 'r'))
		return 2;
	return 0;
}

int
dlp_pem_block(const uint8_t *buf, size_t len, size_t *to)
{
	size_t i = *to, reach = len - i < PEM_REACH ? len - i : PEM_REACH;
	size_t b64 = 0, k, end = i;
	const uint8_t *e = memmem(buf + i, reach, "-----END ", 9), *c;

	/* The key material: base64 lines, maybe after "Proc-Type:" and
	 * "DEK-Info:" headers (legacy encrypted PEM) and a blank line. */
	while (i < len && (e == NULL || buf + i < e)) {
		if ((k = pem_space(buf + i, len - i)) != 0) {
			i += k;
			continue;
		}
		if (len - i > 9 && (memcmp(buf + i, "Proc-Type", 9) == 0 ||
		    memcmp(buf + i, "DEK-Info:", 9) == 0 ||
		    memcmp(buf + i, "Comment: ", 9) == 0 ||
		    memcmp(buf + i, "Version: ", 9) == 0)) {
			while (i < len && buf[i] != '\n' && !(buf[i] == '\\' &&
			    i + 1 < len && buf[i + 1] == 'n'))
				i++;
			continue;
		}
		if (!dlp_b64_char(buf[i]) && buf[i] != '=')
			break;
		b64++;
		end = ++i;
	}
	if (b64 < PEM_MIN_B64)
		return 0;
	*to = end;
	if (e != NULL && buf + i == e && (c = memmem(e + 9, (size_t)(buf +
	    len - (e + 9)) < 64 ? (size_t)(buf + len - (e + 9)) : 64,
	    "-----", 5)) != NULL)
		*to = (size_t)(c + 5 - buf);
	return 1;
}

/* A value that is a placeholder as a whole ("changeme", "<password>",
 * "***", "${DB_PASS}"), not one that merely contains such a word. */
static int
whole_placeholder(const uint8_t *v, size_t n)
{
	static const char *const words[] = { "password", "passwd", "secret",
	    "changeme", "change_me", "changeit", "example", "xxxx", "****",
	    "none", "null", "undefined", "test", "dummy", "placeholder",
	    "redacted", "hidden", "your_password", "yourpassword", "pass",
	    "pwd", "token", "mypassword", "string", "required", NULL };
	size_t i;

	if (n >= 3 && memcmp(v, "...", 3) == 0)
		return 1;
	if (n == 0 || v[0] == '$' || v[0] == '%' || v[0] == '<' ||
	    v[0] == '#' ||
	    v[0] == '{' || v[0] == '[' || v[0] == '(' || v[0] == '@' ||
	    v[0] == '/' || memchr(v, '(', n) != NULL)
		return 1;
	for (i = 1; i < n && v[i] == v[0]; i++)
		;
	if (i == n)		/* "********", "xxxxxxxx" */
		return 1;
	/* cut short in documentation: "sk-clo-…", "ghp_1234..." */
	if ((n >= 3 && memcmp(v + n - 3, "...", 3) == 0) ||
	    (n >= 3 && memcmp(v + n - 3, "\xe2\x80\xa6", 3) == 0))
		return 1;
	for (i = 0; words[i] != NULL; i++)
		if (n == strlen(words[i]) && strncasecmp((const char *)v,
		    words[i], n) == 0)
			return 1;
	return 0;
}

/* Template and documentation marks that no real value carries. */
static int
template_marks(const uint8_t *v, size_t n)
{
	static const char *const marks[] = { "${", "{{", "}}", "#{", "xxxx",
	    "XXXX", "****", "EXAMPLE", "<your", "<YOUR", "your_", "your-",
	    "YOUR_", "YOUR-", "_here", "-here", "_HERE", "edacted]",
	    "EDACTED]", NULL };

	for (size_t i = 0; marks[i] != NULL; i++)
		if (memmem(v, n, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return memchr(v, '<', n) != NULL && memchr(v, '>', n) != NULL;
}

/* Unquoted code, not a value: a reference (self.password,
 * settings.API_KEY), an index or call (form['pw'], get()), or a plain
 * identifier with no digit (newPassword, default_secret).  Code has few
 * digits; a token with dots (a JWT) has many and is judged as a value. */
static int
code_like(const uint8_t *v, size_t n)
{
	size_t digits = 0, ops = 0;

	if (v[0] >= '0' && v[0] <= '9')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (v[i] == '.' || v[i] == '[' || v[i] == '(' ||
		    v[i] == ']' || v[i] == ')' || (v[i] == '-' && i + 1 < n &&
		    v[i + 1] == '>'))
			ops++;
		else if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') || v[i] == '_' ||
		    v[i] == '>' || v[i] == '\'' || v[i] == '"'))
			return 0;
	}
	return ops > 0 ? digits <= 2 : digits == 0;
}

/*
 * name = value (password-assignment): the value judged on its own.  Not a
 * placeholder as a whole, no template mark, not code when unquoted; then
 * it must look chosen, not written: three character classes and 3.0 bits
 * of entropy per character, or two classes, 3.3 bits and 12 characters,
 * or 3.8 bits (long hex and base64 runs).
 */
int
dlp_valid_entropy_value(const uint8_t *m, size_t n)
{
	size_t i = 0, vn;
	const uint8_t *v;
	int quoted, lower = 0, upper = 0, digit = 0, other = 0;
	double e;

	for (size_t k = 0; k < n; k++)
		if (m[k] == ':' || m[k] == '=') {
			i = k + 1;
			break;
		}
	while (i < n && (m[i] == '=' || m[i] == '>'))	/* := => */
		i++;
	while (i < n && (m[i] == ' ' || m[i] == '\t'))
		i++;
	quoted = i < n && (m[i] == '"' || m[i] == '\'');
	if (quoted)
		i++;
	v = m + i;
	vn = n - i;
	/* prose around it: "`KEY=sk-…`." */
	while (vn > 0 && (v[vn - 1] == '`' || v[vn - 1] == '.' ||
	    v[vn - 1] == ')' || v[vn - 1] == ']' || v[vn - 1] == '}'))
		vn--;
	if (vn < 8 || whole_placeholder(v, vn) || template_marks(v, vn) ||
	    (!quoted && code_like(v, vn)))
		return 0;
	for (size_t k = 0; k < vn; k++) {
		if (v[k] >= 'a' && v[k] <= 'z')
			lower = 1;
		else if (v[k] >= 'A' && v[k] <= 'Z')
			upper = 1;
		else if (v[k] >= '0' && v[k] <= '9')
			digit = 1;
		else
			other = 1;
	}
	e = entropy(v, vn);
	if (lower + upper + digit + other >= 3 && e >= 3.0)
		return 1;
	if (lower + upper + digit + other >= 2 && e >= 3.3 && vn >= 12)
		return 1;
	return e >= 3.8;
}

/*
 * The value of any name ending in token, key or secret (generic-secret): stricter
 * than a password, because the name is weaker evidence -- 16+ characters
 * of one token, digits and letters both, 3.5 bits per character (3.2 from
 * 32 characters: long hex keys), and nothing of a placeholder, a template
 * or code.
 */
int
dlp_valid_random(const uint8_t *m, size_t n)
{
	size_t i = n, vn;
	const uint8_t *v;
	int letter = 0, digit = 0;
	double e;

	while (i > 0 && m[i - 1] != '=' && m[i - 1] != ':' &&
	    m[i - 1] != '"' && m[i - 1] != '\'' && m[i - 1] != ' ' &&
	    m[i - 1] != '\t' && m[i - 1] != '>')
		i--;
	v = m + i;
	vn = n - i;
	if (vn >= 3 && memcmp(v + vn - 3, "...", 3) == 0)
		return 0;
	while (vn > 0 && (v[vn - 1] == '.' || v[vn - 1] == '='))
		vn--;
	if (vn < 16 || whole_placeholder(v, vn) || template_marks(v, vn) ||
	    code_like(v, vn))
		return 0;
	for (size_t k = 0; k < vn; k++) {
		if ((v[k] >= 'a' && v[k] <= 'z') || (v[k] >= 'A' && v[k] <= 'Z'))
			letter = 1;
		else if (v[k] >= '0' && v[k] <= '9')
			digit = 1;
	}
	if (!letter || !digit)
		return 0;
	e = entropy(v, vn);
	return e >= 3.5 || (vn >= 32 && e >= 3.2);
}

/* The last word of the match (after the last blank or '='), less a
 * trailing ';', must not be a placeholder or a reference. */
int
dlp_valid_tail_word(const uint8_t *m, size_t n)
{
	size_t i = n;

	while (n > 0 && (m[n - 1] == ';' || m[n - 1] == '\r'))
		n--;
	for (i = n; i > 0 && m[i - 1] != ' ' && m[i - 1] != '\t' &&
	    m[i - 1] != '='; i--)
		;
	return !whole_placeholder(m + i, n - i);
}

/* "auth": "<base64 of user:password>" (a Docker config). */
int
dlp_valid_basic_auth(const uint8_t *m, size_t n)
{
	static const int8_t val[128] = {
		['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5,
		['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10,
		['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
		['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20,
		['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
		['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
		['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
		['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
		['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45,
		['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
		['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
		['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
		['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
	};
	const uint8_t *p = memchr(m, ':', n);
	uint8_t out[192];
	unsigned acc = 0, bits = 0;
	size_t o = 0, colon = 0;

	if (p == NULL || (p = memchr(p, '"', n - (size_t)(p - m))) == NULL)
		return 0;
	for (p++; p < m + n && *p != '"' && *p != '=' && o < sizeof(out);
	    p++) {
		if (*p >= 128 || val[*p] == 0)
			return 0;
		acc = acc << 6 | (unsigned)(val[*p] - 1);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	for (size_t i = 0; i < o; i++) {
		if (out[i] < 0x20 || out[i] > 0x7e)
			return 0;
		if (out[i] == ':' && colon == 0)
			colon = i + 1;
	}
	/* user:password, both there, the password not a placeholder */
	return colon > 1 && colon < o && !whole_placeholder(out + colon,
	    o - colon);
}

/* A URL's password that stands for one: "pass", "$PASS", "<pw>". */
static int
url_placeholder(const uint8_t *v, size_t n)
{
	static const char *const words[] = { "pass", "passwd", "pwd", "pw",
	    NULL };

	if (n == 0 || v[0] == '$' || v[0] == '%' || v[0] == '<' ||
	    v[0] == '{' || v[0] == '[' || v[0] == '#')
		return 1;
	for (size_t i = 0; words[i] != NULL; i++)
		if (n == strlen(words[i]) && strncasecmp((const char *)v,
		    words[i], n) == 0)
			return 1;
	return 0;
}

/* scheme://user:password@host with a password that is not a template. */
int
dlp_valid_url(const uint8_t *m, size_t n)
{
	const uint8_t *colon, *at, *p = memmem(m, n, "://", 3);

	if (p == NULL)
		return 0;
	p += 3;
	colon = memchr(p, ':', n - (size_t)(p - m));
	at = memchr(p, '@', n - (size_t)(p - m));
	if (colon == NULL || at == NULL || at < colon)
		return 0;
	return !placeholder(colon + 1, (size_t)(at - colon - 1)) &&
	    !url_placeholder(colon + 1, (size_t)(at - colon - 1)) &&
	    !(at - colon - 1 == 8 && memcmp(colon + 1, "password", 8) == 0);
}

int
dlp_valid_email(const uint8_t *m, size_t n)
{
	static const char *const fake[] = { "@example.", "@test.",
	    "@localhost", "noreply@", "no-reply@", ".example>",
	    "@users.noreply.github.com", ".invalid", ".test>", "@domain.com",
	    "@email.com", "@yourdomain.", "@company.com", "@acme.", NULL };

	for (size_t i = 0; fake[i] != NULL; i++)
		if (memmem(m, n, fake[i], strlen(fake[i])) != NULL)
			return 0;
	return 1;
}

#define CONTEXT_MAX	512	/* of a line, around the match */

/* Whether word (lower case) occurs in s (n bytes), in any case. */
static int
ci_find(const uint8_t *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++) {
		size_t k = 0;

		while (k < w && (s[i + k] >= 'A' && s[i + k] <= 'Z' ?
		    s[i + k] + 32 : s[i + k]) == (uint8_t)word[k])
			k++;
		if (k == w)
			return 1;
	}
	return 0;
}

/* Whether word (lower case) is within near bytes before from or after
 * to, in any case. */
int
dlp_near(const uint8_t *buf, size_t len, size_t from, size_t to,
    const char *word, size_t near)
{
	size_t a = from > near ? from - near : 0;
	size_t b = len - to > near ? to + near : len;

	return ci_find(buf + a, b - a, word);
}

/*
 * Whether the line around an address is one where addresses are
 * attribution, not data: author and maintainer headers, copyright and
 * licence lines, commit trailers, package metadata.  Sending those to a
 * tool is what code review does all day; flagging them buried real
 * findings in noise (about 1,350 lines of ordinary code in an
 * independent measurement).
 */
int
dlp_pii_attribution(const uint8_t *buf, size_t len, size_t from)
{
	static const char *const marks[] = { "author", "copyright", "(c)",
	    "maintainer", "signed-off-by", "co-authored-by", "reviewed-by",
	    "reported-by", "acked-by", "tested-by", "suggested-by",
	    "license", "licence", "contributor", "credits", "@since",
	    "mailmap", "bugs to", "report bugs", NULL };
	size_t a = from, b = from;

	while (a > 0 && buf[a - 1] != '\n' && from - a < CONTEXT_MAX / 2)
		a--;
	while (b < len && buf[b] != '\n' && b - a < CONTEXT_MAX)
		b++;
	for (size_t i = 0; marks[i] != NULL; i++)
		if (ci_find(buf + a, b - a, marks[i]))
			return 1;
	return 0;
}

int
dlp_valid_luhn(const uint8_t *m, size_t n)
{
	int sum = 0, dbl = 0, digits = 0;

	for (size_t i = n; i > 0; i--) {
		int d;

		if (m[i - 1] < '0' || m[i - 1] > '9')
			continue;
		d = m[i - 1] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
		digits++;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

/* ISO 13616: move the first four characters to the end, letters to
 * numbers (A = 10), the whole number mod 97 is 1. */
int
dlp_valid_iban(const uint8_t *m, size_t n)
{
	char s[40];
	size_t k = 0;
	unsigned rem = 0;

	for (size_t i = 0; i < n && k < sizeof(s); i++)
		if (m[i] != ' ')
			s[k++] = (char)m[i];
	if (k < 15 || k > 34)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char c = s[(i + 4) % k];

		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

/* ---- email's ends ------------------------------------------------------ */

static int
word_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* EMAIL_LOCAL */
static int
local_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '%' ||
	    c == '+' || c == '-';
}

/*
 * Whether a word boundary starts or falls inside the run of EMAIL_LOCAL
 * bytes that ends at buf[at - 1], as \b[...]+@ needs: somewhere in the
 * run a letter or digit meets punctuation, or its first byte differs in
 * that from the byte before it (the buffer's start counts as
 * punctuation).
 */
static int
local_run_bounded(const uint8_t *buf, size_t at)
{
	size_t i = at - 1;
	int w;

	if (at == 0 || !local_byte(buf[i]))
		return 0;
	w = word_byte(buf[i]);
	for (; i > 0 && local_byte(buf[i - 1]); i--)
		if (word_byte(buf[i - 1]) != w)
			return 1;
	return i == 0 ? w : word_byte(buf[i - 1]) != w;
}

/*
 * email's pattern would end at end: its domain part holds no '@', so the
 * last '@' before end is the one it matched, and the run before that
 * must start with or hold a boundary.  EMAIL_LOCAL "@" ends at all of
 * these and more.  Ends of one '@' come in order, so the last answer is
 * kept (d->at_end; 0 at the start of each pass).
 */
int
dlp_local_part_ok(struct dlp *d, size_t end)
{
	const uint8_t *p;
	size_t from = d->at_end != 0 && end >= d->at_end ? d->at_end : 0;

	if ((p = memrchr(d->scanning + from, '@', end - from)) != NULL)
		d->at_ok = local_run_bounded(d->scanning,
		    (size_t)(p - d->scanning));
	else if (from == 0)
		d->at_ok = 0;
	d->at_end = end;
	return d->at_ok;
}
