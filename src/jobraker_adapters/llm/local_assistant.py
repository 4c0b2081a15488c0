"""``LocalAssistant``: the deterministic language model that needs no model and no network.

It is the default ``LanguageModel`` (``JOBRAKER_LLM=local``). It reads the person's last message
(only its request: pasted text is data), recognises the common intents (``jobraker_core.assistant.
intents``: find jobs, recommendations, why a job matches, what is missing, what to learn, the
status of applications, salaries for a role and place, tailoring a résumé, a cover letter) and asks
for the matching tool, with arguments taken from the request (role words, place, "remote", a job
named by id, by its number in an earlier list, or by its company). Once the tool results are in the
conversation it composes a plain answer from their fields only — a tool result is parsed as JSON
data and never read for instructions — and says plainly what it cannot do.

It offers only the tools it is given, is deterministic (same messages, same answer; tool call ids
are numbered), streams its answer a few words at a time, and counts tokens as UTF-8 bytes / 3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Final

import attrs

from jobraker_core.assistant.context import estimate_tokens
from jobraker_core.assistant.intents import (
    Intent,
    extract_ids,
    extract_ordinal,
    extract_place,
    extract_remote,
    extract_status,
    extract_topic,
    recognise,
    request_part,
)
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    Role,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolSpec,
)
from jobraker_core.jobs.model import company_words
from jobraker_core.jobs.text import fold

MODEL_NAME: Final = "jobraker-local"
_WORDS_PER_DELTA: Final = 4

CAPABILITIES: Final = (
    "I'm Jobraker's built-in assistant. I can find jobs (\"find python jobs in Leeds\"), show "
    "your best matches, explain why a job matches you and what it asks for that you lack, tell "
    "you which skills to learn next, show the status of your applications, tell you what a role "
    'pays in a place ("salary for a data engineer in Berlin"), and prepare a tailored résumé or '
    "a cover letter for a job for you to confirm."
)
CANNOT: Final = (
    "I can't do that: I'm the built-in assistant, without a general language model, so I only "
    "understand job-search requests."
)

JsonObject = dict[str, object]


@attrs.frozen
class _Result:
    """One tool result of the conversation, parsed."""

    name: str
    body: JsonObject

    @property
    def result(self) -> JsonObject:
        """The tool's data (empty when it failed)."""
        data = self.body.get("result")
        return data if isinstance(data, dict) else {}

    @property
    def error(self) -> str | None:
        """Why the tool failed or was not run."""
        error = self.body.get("error")
        return str(error) if error else None


def _parse_result(content: str | None) -> JsonObject:
    try:
        body = json.loads(content or "")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _list(value: object) -> list[JsonObject]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _quote(text: object) -> str:
    return f"“{text}”"


def _job_line(job: Mapping[str, object]) -> str:
    line = str(job.get("title") or "Untitled job")
    if job.get("company"):
        line += f" at {job['company']}"
    details = [str(job[key]) for key in ("location", "salary") if job.get(key)]
    if details:
        line += " — " + ", ".join(details)
    if job.get("posted"):
        line += f" (posted {job['posted']})"
    return line


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------- answers


def _answer_search(result: JsonObject) -> str:
    query, place = result.get("query"), result.get("location")
    what = _quote(query) if query else "jobs"
    where = f" in {place}" if place else ""
    remote = " (remote only)" if result.get("remote") else ""
    jobs = _list(result.get("jobs"))
    total = result.get("total", len(jobs))
    if not jobs:
        return f"I found no jobs matching {what}{where}{remote}."
    head = f"I found {total} job(s) matching {what}{where}{remote}"
    head += ":" if total == len(jobs) else f"; here are the first {len(jobs)}:"
    lines = [f"{job.get('n', i)}. {_job_line(job)}" for i, job in enumerate(jobs, 1)]
    return head + "\n" + "\n".join(lines)


def _answer_recommend(result: JsonObject) -> str:
    jobs = _list(result.get("jobs"))
    if not jobs:
        return "I have no jobs to recommend to you yet: none of the current postings fit."
    lines = []
    for i, job in enumerate(jobs, 1):
        line = f"{job.get('n', i)}. {_job_line(job)} — scores {job.get('score')}/100"
        have, lack = _strings(job.get("matched_skills")), _strings(job.get("missing_skills"))
        if have:
            line += f"; you have {_join(have[:5])}"
        if lack:
            line += f"; missing {_join(lack[:5])}"
        lines.append(line)
    return "Your best matches right now:\n" + "\n".join(lines)


def _answer_explain(result: JsonObject) -> str:
    job = result.get("job") if isinstance(result.get("job"), dict) else {}
    assert isinstance(job, dict)  # noqa: S101 - narrowed above
    lines = [f"{_job_line(job)} scores {result.get('score')}/100 for you."]
    lines.extend(
        f"- {part.get('name')}: {part.get('summary')} ({part.get('points')} points)"
        for part in _list(result.get("parts"))
    )
    have = _strings(result.get("matched_skills"))
    required = _strings(result.get("missing_required"))
    other = _strings(result.get("missing_other"))
    if have:
        lines.append(f"You have: {_join(have)}.")
    if required:
        lines.append(f"Missing (required): {_join(required)}.")
    if other:
        lines.append(f"Also asked for, which you don't show: {_join(other)}.")
    if not required and not other:
        lines.append("Your profile shows every skill this posting asks for.")
    excluded = _strings(result.get("excluded_because"))
    if excluded:
        lines.append("It is ruled out for you because " + "; ".join(excluded) + ".")
    return "\n".join(lines)


def _answer_insight(result: JsonObject) -> str:
    skills = _list(result.get("skills"))
    best = result.get("best_matches", 0)
    if not skills:
        return (
            f"Across your {best} best matches I found no skill you lack — nothing stands out "
            "to learn next."
        )
    items = [
        f"{s.get('name')} (asked for by {s.get('jobs')} of them, "
        f"required by {s.get('required_in')})"
        for s in skills[:5]
    ]
    text = (
        f"Across your {best} best matches, the skills you most often lack are: "
        + "; ".join(items)
        + ". Learning the first of these would open up the most of those jobs."
    )
    salaries = _list(result.get("salaries"))
    if salaries:
        pay = salaries[0]
        text += (
            f"\nThose jobs pay {pay.get('low')} to {pay.get('high')} a year "
            f"(median {pay.get('median')}, {pay.get('jobs')} stating a salary)."
        )
    return text


def _salary_percentile_lines(result: JsonObject) -> list[str]:
    return [
        f"- {item.get('currency')}, {item.get('figures')} ({item.get('jobs')} job(s)): "
        f"10th percentile {item.get('p10')}, 25th {item.get('p25')}, median "
        f"{item.get('median')}, 75th {item.get('p75')}, 90th {item.get('p90')} a year"
        for item in _list(result.get("percentiles"))
    ]


def _salary_external_lines(result: JsonObject) -> list[str]:
    external = result.get("external")
    if isinstance(external, dict):
        history = _list(external.get("monthly_average"))
        if history:
            latest = history[-1]
            line = (
                f"{external.get('source')} ({external.get('country')}) reports an average "
                f"advertised salary of {latest.get('average')} in {latest.get('month')}."
            )
            return [line]
    if result.get("external_error"):
        return [f"(External salary figures are unavailable: {result['external_error']}.)"]
    return []


def _salary_unanalysed_lines(result: JsonObject) -> list[str]:
    unread = result.get("not_yet_analysed")
    if not isinstance(unread, dict) or not unread.get("postings"):
        return []
    head = (
        f"{unread.get('postings')} matching posting(s) have not been analysed yet, so they "
        f"are not in the figures above; {unread.get('postings_with_salary')} of them state a "
        "salary:"
    )
    lines = [head]
    for item in _list(unread.get("by_currency")):
        estimated = item.get("estimated") or 0
        note = f", {estimated} of them estimated by the job board" if estimated else ""
        lines.append(
            f"- {item.get('currency')}: {item.get('low')} to {item.get('high')} a year, median "
            f"{item.get('median')} ({item.get('postings')} posting(s){note})"
        )
    return lines


def _answer_salary(result: JsonObject) -> str:
    role = _quote(result.get("role"))
    where = f" in {result['location']}" if result.get("location") else ""
    occupation = result.get("read_as_occupation")
    read_as = f" (I read the title as the occupation {_quote(occupation)})" if occupation else ""
    analysed = result.get("analysed_jobs_with_salary") or 0
    if analysed:
        lines = [f"What {role}{where} pays{read_as}, from {analysed} job(s) with a salary:"]
        lines += _salary_percentile_lines(result)
    else:
        lines = [f"I have no analysed jobs with a salary for {role}{where}{read_as}."]
    lines += _salary_external_lines(result)
    lines += _salary_unanalysed_lines(result)
    if not analysed and len(lines) == 1:
        lines[0] = f"I found no jobs with a salary for {role}{where}{read_as}, so I can't say."
    return "\n".join(lines)


def _answer_job(result: JsonObject) -> str:
    text = _job_line(result)
    if result.get("url"):
        text += f"\nPosting: {result['url']}"
    if result.get("description"):
        text += f"\nFrom the posting: {result['description']}"
    return text


def _answer_applications(result: JsonObject) -> str:
    items = _list(result.get("applications"))
    if not items:
        return "You have no applications yet."
    lines = []
    for i, item in enumerate(items, 1):
        title = item.get("job_title") or "a job"
        company = f" at {item['company']}" if item.get("company") else ""
        updated = f" (since {item['updated']})" if item.get("updated") else ""
        lines.append(f"{item.get('n', i)}. {title}{company}: {item.get('status')}{updated}")
    total = result.get("total", len(items))
    return f"You have {total} application(s):\n" + "\n".join(lines)


def _answer_proposal(result: JsonObject) -> str:
    proposal = result.get("proposal")
    if not isinstance(proposal, dict):
        return "I prepared that, but there is nothing to confirm."
    return (
        f"I've prepared this for you: {proposal.get('description')} Nothing changes until you "
        f"confirm it (proposal {proposal.get('proposal_id')})."
    )


_ANSWERS: Final = {
    "search_jobs": _answer_search,
    "recommend_jobs": _answer_recommend,
    "explain_match": _answer_explain,
    "career_insight": _answer_insight,
    "salary_insight": _answer_salary,
    "get_job": _answer_job,
    "list_applications": _answer_applications,
    "get_application": _answer_applications,
}

_FAILED: Final = {
    "search_jobs": "search the jobs",
    "recommend_jobs": "recommend jobs",
    "explain_match": "explain that match",
    "career_insight": "work out what you should learn",
    "salary_insight": "look up salaries",
    "get_job": "read that job",
    "list_applications": "read your applications",
}


def _answer(result: _Result) -> str:
    if result.error:
        return f"I couldn't {_FAILED.get(result.name, 'do that')}: {result.error}"
    if isinstance(result.result.get("proposal"), dict):
        return _answer_proposal(result.result)
    compose = _ANSWERS.get(result.name)
    if compose is None:
        return f"The {result.name} tool answered, but I can't describe its result."
    return compose(result.result)


# ----------------------------------------------------------------------------- planning


@attrs.frozen
class _Plan:
    """What to do next: call tools, or answer with ``text``."""

    calls: tuple[tuple[str, JsonObject], ...] = ()
    text: str | None = None


def _earlier_jobs(results: Sequence[_Result]) -> list[JsonObject]:
    """The most recent list of jobs shown (or the single job explained), newest result first."""
    for result in reversed(results):
        jobs = _list(result.result.get("jobs"))
        if jobs:
            return jobs
        job = result.result.get("job")
        if isinstance(job, dict):
            return [job]
        if result.name == "get_job" and result.result.get("job_id"):
            return [result.result]
    return []


def _earlier_applications(results: Sequence[_Result]) -> list[JsonObject]:
    for result in reversed(results):
        items = _list(result.result.get("applications"))
        if items:
            return items
    return []


def _pick(  # noqa: PLR0911 - one answer per way of naming an item
    items: list[JsonObject], request: str, id_key: str, name_keys: Sequence[str]
) -> str | None:
    """The id of the item ``request`` names: by id, by position, or by company/title words."""
    ids = extract_ids(request)
    if ids:
        return str(ids[0])
    if not items:
        return None
    ordinal = extract_ordinal(request)
    if ordinal is not None:
        index = len(items) - 1 if ordinal == -1 else ordinal - 1
        if 0 <= index < len(items):
            return str(items[index].get(id_key) or "") or None
        return None
    lowered = request.casefold()
    folded = f" {fold(request)} "
    for item in items:
        for key in name_keys:
            value = item.get(key)
            if not isinstance(value, str) or len(value) <= 2:  # noqa: PLR2004 - too short to name
                continue
            name = company_words(value) if key == "company" else fold(value)
            if value.casefold() in lowered or (name and f" {name} " in folded):
                return str(item.get(id_key) or "") or None
    if len(items) == 1 and re.search(r"\b(this|that|it|the job)\b", lowered):
        return str(items[0].get(id_key) or "") or None
    return None


def _search_args(request: str) -> JsonObject:
    args: JsonObject = {}
    topic = extract_topic(request)
    if topic:
        args["query"] = topic[:200]
    place = extract_place(request)
    if place:
        args["location"] = place[:200]
    if extract_remote(request):
        args["remote"] = True
    return args


@attrs.frozen
class _Planner:
    """Chooses tool calls for a request, knowing the tools offered and the earlier results."""

    request: str
    offered: frozenset[str]
    earlier: tuple[_Result, ...]

    def job_id(self) -> str | None:
        """The job the request refers to."""
        return _pick(_earlier_jobs(self.earlier), self.request, "job_id", ("company", "title"))

    def plan(self) -> _Plan:
        """The first step for the request."""
        intents = recognise(self.request)
        for intent in intents:
            plan = self._for(intent)
            if plan is not None:
                return plan
        if not self.request.strip():
            return _Plan(text=CAPABILITIES)
        return _Plan(text=f"{CANNOT} {CAPABILITIES}")

    def _tool(self, name: str, args: JsonObject, missing: str) -> _Plan:
        if name not in self.offered:
            return _Plan(text=missing)
        return _Plan(calls=((name, args),))

    def _for(self, intent: Intent) -> _Plan | None:  # noqa: C901, PLR0911, PLR0912 - a dispatch table
        if intent is Intent.CHANGE_STATUS:
            return self._change_status()
        if intent in {Intent.COVER_LETTER, Intent.TAILOR_RESUME}:
            name = "draft_cover_letter" if intent is Intent.COVER_LETTER else "tailor_resume"
            what = "a cover letter" if intent is Intent.COVER_LETTER else "a tailored résumé"
            job = self.job_id()
            if job is None:
                return _Plan(
                    text=f"Which job should I prepare {what} for? Ask me to find or recommend "
                    "jobs first, then name one by its number, its company, or its id."
                )
            return self._tool(
                name, {"job_id": job}, f"I can't prepare {what} here yet: that isn't set up."
            )
        if intent is Intent.SALARY:
            topic = extract_topic(self.request)
            if not topic:
                return _Plan(text="For which role? For example: “salary for a nurse in Leeds”.")
            args: JsonObject = {"role": topic[:200]}
            place = extract_place(self.request)
            if place:
                args["location"] = place[:200]
            return self._tool("salary_insight", args, "I can't look up salaries here.")
        if intent in {Intent.EXPLAIN_MATCH, Intent.MISSING_SKILLS}:
            job = self.job_id()
            if job is not None:
                return self._tool("explain_match", {"job_id": job}, "I can't explain matches here.")
            if intent is Intent.MISSING_SKILLS:
                return self._tool("career_insight", {}, "I can't work out skill gaps here.")
            return self._tool("recommend_jobs", {"limit": 1}, "I can't explain matches here.")
        if intent is Intent.LEARN:
            return self._tool("career_insight", {}, "I can't work out what to learn here.")
        if intent is Intent.APPLICATIONS:
            return self._tool(
                "list_applications",
                {},
                "I can't see your applications here yet: application tracking isn't set up.",
            )
        if intent is Intent.RECOMMEND:
            args = {"limit": 5}
            place = extract_place(self.request)
            if place:
                args["location"] = place[:200]
            return self._tool("recommend_jobs", args, "I can't recommend jobs here.")
        if intent is Intent.JOB_DETAILS:
            job = self.job_id()
            if job is None:
                return None
            return self._tool("get_job", {"job_id": job}, "I can't read job details here.")
        if intent is Intent.FIND_JOBS:
            args = _search_args(self.request)
            if "query" not in args:
                return self._tool("recommend_jobs", {"limit": 5}, "I can't search jobs here.")
            args["limit"] = 5
            return self._tool("search_jobs", args, "I can't search jobs here.")
        return _Plan(text=CAPABILITIES)  # Intent.HELP

    def _change_status(self) -> _Plan:
        status = extract_status(self.request)
        if "propose_status_change" not in self.offered:
            return _Plan(
                text="I can't change applications here: application tracking isn't set up."
            )
        application = _pick(
            _earlier_applications(self.earlier),
            self.request,
            "application_id",
            ("company", "job_title"),
        )
        if application is None or status is None:
            if "list_applications" in self.offered and not _earlier_applications(self.earlier):
                return _Plan(calls=(("list_applications", {}),))
            return _Plan(
                text="Which application, and to which status? For example: “mark my "
                "application at Acme as interviewing”."
            )
        return _Plan(
            calls=(("propose_status_change", {"application_id": application, "status": status}),)
        )


# ----------------------------------------------------------------------------- the model


def _turn(messages: Sequence[Message]) -> tuple[str, list[_Result], list[_Result], int]:
    """The last request, the results before it, the results after it, and rounds so far."""
    last_user = max((i for i, m in enumerate(messages) if m.role is Role.USER), default=-1)
    request = request_part(messages[last_user].content or "") if last_user >= 0 else ""
    names: dict[str, str] = {}
    before: list[_Result] = []
    after: list[_Result] = []
    rounds = 0
    for index, message in enumerate(messages):
        if message.role is Role.ASSISTANT and message.tool_calls:
            rounds += index > last_user
            names.update({call.id: call.name for call in message.tool_calls})
        elif message.role is Role.TOOL:
            name = names.get(message.tool_call_id or "", "")
            parsed = _Result(name, _parse_result(message.content))
            (after if index > last_user else before).append(parsed)
    return request, before, after, rounds


@attrs.define
class LocalAssistant:
    """The deterministic ``LanguageModel`` (see the module docstring)."""

    model: str = MODEL_NAME

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Completion:
        """Call the tools the last request needs, or answer from the results that came back."""
        del max_tokens  # answers are short
        request, before, after, rounds = _turn(messages)
        offered = frozenset(tool.name for tool in tools)
        planner = _Planner(request, offered, tuple(before))
        if after:
            follow = self._follow_up(planner, after, rounds)
            if follow is not None and offered:
                return self._calls(messages, follow, rounds)
            return self._text(messages, "\n\n".join(_answer(result) for result in after))
        plan = planner.plan()
        if plan.calls and offered:
            return self._calls(messages, plan.calls, rounds)
        return self._text(messages, plan.text or CAPABILITIES)

    @staticmethod
    def _follow_up(
        planner: _Planner, after: list[_Result], rounds: int
    ) -> tuple[tuple[str, JsonObject], ...] | None:
        """A second step: explain the top match, or act on the applications just listed."""
        if rounds >= 2:  # noqa: PLR2004 - two steps at most
            return None
        names = {result.name for result in after}
        intents = recognise(planner.request)
        if Intent.EXPLAIN_MATCH in intents and names == {"recommend_jobs"}:
            jobs = _list(after[-1].result.get("jobs"))
            if jobs and jobs[0].get("job_id") and "explain_match" in planner.offered:
                return (("explain_match", {"job_id": str(jobs[0]["job_id"])}),)
        if Intent.CHANGE_STATUS in intents and names == {"list_applications"}:
            second = _Planner(planner.request, planner.offered, (*planner.earlier, *after))
            plan = second._change_status()  # noqa: SLF001 - the same planner, with more known
            if plan.calls and plan.calls[0][0] == "propose_status_change":
                return plan.calls
        return None

    def _calls(
        self,
        messages: Sequence[Message],
        calls: Sequence[tuple[str, JsonObject]],
        rounds: int,
    ) -> Completion:
        tool_calls = tuple(
            ToolCall(f"call_{rounds + 1}_{index}", name, json.dumps(args, sort_keys=True))
            for index, (name, args) in enumerate(calls, 1)
        )
        return Completion(
            content=None,
            tool_calls=tool_calls,
            finish_reason=FinishReason.TOOL_CALLS,
            usage=self._usage(messages, "".join(c.name + c.arguments for c in tool_calls)),
            model=self.model,
        )

    def _text(self, messages: Sequence[Message], text: str) -> Completion:
        return Completion(
            content=text,
            tool_calls=(),
            finish_reason=FinishReason.STOP,
            usage=self._usage(messages, text),
            model=self.model,
        )

    @staticmethod
    def _usage(messages: Sequence[Message], output: str) -> TokenUsage:
        prompt = sum(
            estimate_tokens(m.content or "")
            + sum(estimate_tokens(c.name + c.arguments) for c in m.tool_calls)
            for m in messages
        )
        return TokenUsage(prompt, estimate_tokens(output))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """The same answer as ``complete``, as ``TextDelta``s of a few words, then the whole."""
        completion = self.complete(messages, tools=tools, max_tokens=max_tokens)
        words = re.findall(r"\S+\s*", completion.content or "")
        for start in range(0, len(words), _WORDS_PER_DELTA):
            yield TextDelta("".join(words[start : start + _WORDS_PER_DELTA]))
        yield completion
