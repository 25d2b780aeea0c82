package demo

// The files the demo writes. They are POSIX sh so that they run in the
// smallest sandbox (a busybox image has no Python).

const scriptName = "wordcount.sh"

const script = `#!/bin/sh
# wordcount.sh - print the most frequent words in a file.
# usage: sh wordcount.sh [FILE] [TOP]   (FILE defaults to stdin, TOP to 5)
set -eu
file=${1:--}
top=${2:-5}
cat -- "$file" |
	tr -cs 'A-Za-z0-9' '\n' |
	grep -v '^$' |
	sort | uniq -c | sort -k1,1nr -k2,2 |
	head -n "$top"
`

// The edit folds case: "The" and "the" are one word.
const (
	editOld = "\ttr -cs 'A-Za-z0-9' '\\n' |\n"
	editNew = "\ttr -cs 'A-Za-z0-9' '\\n' |\n\ttr 'A-Z' 'a-z' |\n"
)

const sampleCommand = `printf 'The cat saw the dog.\nThe dog ran.\n' > sample.txt && sh wordcount.sh sample.txt`

const rerunCommand = `sh wordcount.sh sample.txt`

const testName = "test_wordcount.sh"

const testScript = `#!/bin/sh
# test_wordcount.sh - check wordcount.sh on known input; prints PASS or what differs.
set -u
cd "$(dirname "$0")"
failed=0
check() {
	got=$(printf '%s\n' "$3" | sh ./wordcount.sh - "$2" | awk '{print $1, $2}')
	if [ "$got" != "$4" ]; then
		printf 'FAIL: %s\n  want: %s\n  got:  %s\n' "$1" "$4" "$got"
		failed=1
	fi
}
check "case is folded" 1 "The cat saw the dog" "2 the"
check "ties sort by word" 3 "b a c b a" "2 a
2 b
1 c"
check "punctuation splits words" 5 "end. End, end!" "3 end"
if [ "$failed" -eq 0 ]; then
	echo PASS
fi
exit "$failed"
`

const testCommand = `sh test_wordcount.sh`

const footer = "\n\n(This was Corral's built-in demo model. To work on your own tasks, set ANTHROPIC_API_KEY, or OPENAI_API_KEY / OPENAI_BASE_URL for OpenAI-compatible servers such as Ollama, LM Studio or vLLM.)"
