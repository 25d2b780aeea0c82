package agent

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Oversized tool results: a result larger than the run's clip budget (clipShare percent of
// the context window) is sent head and tail, with a note saying how to read the rest; the
// journal keeps it whole. The budget comes from the run's recorded configuration and the
// clipping is a function of the recorded result, so a resumed run sends the same bytes.

// minClip is the smallest clip budget, for tiny windows.
const minClip = 2048

// clipBudget is the most bytes one tool result may take in a run's requests; 0 never clips
// (the window is unknown, as in runs recorded before compaction).
func clipBudget(cfg RunConfig) int {
	if cfg.ContextWindow <= 0 {
		return 0
	}
	return max(cfg.ContextWindow*bytesPerToken*clipShare/100, minClip)
}

// clipResult is a tool's result as the model is sent it: whole when it fits budget, else
// its head and tail with a note on reading the rest that suits the tool.
func clipResult(toolName, content string, budget int) string {
	if budget <= 0 || len(content) <= budget {
		return content
	}
	how := "narrow it with grep, or write it to a file and read that in pages (read with offset and limit)"
	switch toolName {
	case "read":
		how = "read the file in pages (read with offset and limit) or find what you need with grep"
	case "exec":
		how = "run the command again with its output narrowed (grep, head, tail) or redirected to a file that you read in pages (read with offset and limit)"
	case "grep", "glob":
		how = "narrow the pattern or the path"
	}
	return clipText(content, budget, how)
}

// clipText keeps the head (two thirds of budget) and the tail (the rest) of s, cut at line
// ends where one is near and never inside a UTF-8 sequence, with a note between them.
func clipText(s string, budget int, how string) string {
	if len(s) <= budget {
		return s
	}
	headN, tailN := budget*2/3, budget/3
	head := s[:headN]
	if i := strings.LastIndexByte(head, '\n'); i > headN/2 {
		head = head[:i+1]
	}
	for len(head) > 0 && !utf8.ValidString(head[len(head)-min(len(head), 3):]) && !utf8.RuneStart(s[len(head)]) {
		head = head[:len(head)-1]
	}
	tail := s[len(s)-tailN:]
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < tailN/2 {
		tail = tail[i+1:]
	}
	for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
		tail = tail[1:]
	}
	omitted := s[len(head) : len(s)-len(tail)]
	return fmt.Sprintf("%s\n[Corral clipped this result: %d bytes (%d lines) of %d are left out here, to keep the conversation within the context window. To see them, %s.]\n%s",
		head, len(omitted), strings.Count(omitted, "\n"), len(s), how, tail)
}
