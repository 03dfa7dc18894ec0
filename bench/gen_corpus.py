#!/usr/bin/env python3
"""Write a deterministic synthetic question bank shaped like the real one, for benchmarks.

    python bench/gen_corpus.py 10000 /tmp/bank [--seed 1] [--shape varied|similar] [--force]

DIR becomes a bank root: ``DIR/questions/<role-slug>/<slug>.yaml`` (ids equal paths),
a copy of this repository's ``schema/``, and ``DIR/bench-corpus.json`` describing the run
(count, seed, bytes, the intended near-duplicate pairs). Files are written with plain string
templates, not a YAML dumper, so 100,000 files take seconds. Every file passes the schema,
has three tiers of rising length with critiques, 4-6 prep tips, 3-5 competencies from the
real bank's vocabulary, 0-3 related ids in its role and a unique guid. Questions are drawn
from many templates and a large vocabulary so that they are distinct; about 0.5% are
deliberate near-duplicates (one small edit of another question in the same role).

With ``--shape similar`` the questions come from a few frames and a narrow vocabulary instead, so
that most of them share most of their words with many others: the shape templated banks drift
into, and the hardest case for the near-duplicate rule's blocking.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MANIFEST = "bench-corpus.json"
FORMAT_VERSION = 1
NEAR_DUPLICATE_SHARE = 0.005

ROLES = [
    "Marketing Specialist", "Software Engineer", "Product Manager", "Data Analyst", "Data Scientist",
    "UX Designer", "Project Manager", "Sales Representative", "Account Manager", "Customer Success Manager",
    "HR Business Partner", "Recruiter", "Financial Analyst", "Accountant", "Operations Manager",
    "Supply Chain Analyst", "DevOps Engineer", "Site Reliability Engineer", "QA Engineer", "Security Analyst",
    "Content Writer", "Graphic Designer", "Business Analyst", "Registered Nurse", "Teacher",
    "Customer Service Representative", "Office Manager", "Executive Assistant", "Mechanical Engineer",
    "Civil Engineer", "Pharmacist", "Paralegal", "Retail Store Manager", "Social Media Manager",
    "SEO Specialist", "Technical Writer", "Engineering Manager", "Machine Learning Engineer",
    "Frontend Developer", "Event Coordinator",
]

#: The real bank's competency vocabulary, so the vocabulary rule stays quiet.
COMPETENCIES = [
    "Data-driven decision making", "Strategic thinking", "Stakeholder management",
    "Excellent verbal and written communication", "Customer focus", "Problem-solving",
    "Leadership and team management", "Ownership and accountability", "Collaboration and teamwork",
    "Technical expertise",
]

ADJECTIVES = """delayed over-budget high-profile cross-team last-minute unpopular underperforming
risky long-running overdue urgent complex fragile expensive customer-facing regulated
international seasonal experimental legacy stalled poorly-scoped ambitious critical quarterly
annual multi-year outsourced understaffed high-volume low-margin public internal confidential
time-sensitive politically-sensitive high-stakes unplanned rushed costly error-prone manual
company-wide small pilot flagship struggling new recurring inherited disputed chaotic
partially-automated cross-border unfunded half-finished misunderstood heavily-audited
fast-growing overloaded shared""".split()


def _noun_phrases(block: str) -> list[str]:
    """Split the noun block into two-word phrases (every phrase above is exactly two words)."""
    words = block.split()
    return [f"{words[i]} {words[i + 1]}" for i in range(0, len(words) - 1, 2)]


NOUNS = _noun_phrases("""product launch vendor contract data migration hiring plan budget forecast client onboarding
quarterly report process change pricing update training program system upgrade marketing campaign
customer escalation compliance audit office move team reorganisation website redesign mobile release
supplier negotiation inventory count sales pipeline partner integration brand refresh email newsletter
analytics dashboard support backlog billing dispute security review incident review procurement request
capacity plan onboarding guide research study recruitment drive board presentation grant application
code freeze database upgrade feature rollout API deprecation content calendar press release trade show
customer survey loyalty program retention initiative renewal negotiation expense review payroll change
policy update safety inspection shift schedule patient handover lesson plan exam schedule curriculum review
legal review contract renewal store opening holiday promotion stock shortage returns process
shipping delay warehouse layout quality inspection test plan release checklist accessibility audit
design system style guide user interview usability test pricing experiment split test churn analysis
demand forecast savings plan vendor selection tool migration cloud migration on-call rotation
monitoring setup backup strategy recovery drill penetration test access review
documentation overhaul knowledge base help centre FAQ rewrite social campaign influencer partnership
ranking drop traffic decline conversion funnel scoring model recommendation engine
data pipeline ETL job reporting pipeline model retraining annotation project survey analysis
market study competitor analysis sponsorship deal conference agenda team offsite volunteer program
wellness initiative mentoring scheme review cycle promotion round salary benchmark
headcount request relocation package travel policy expense policy facilities contract
equipment purchase maintenance schedule construction milestone site survey design review
prototype build supplier audit customer pilot beta program launch event""")

QUALIFIERS = """regional|global|client-side|back-office|spring|autumn|year-end|EMEA|North American|Asia-Pacific
|partner-led|self-service|premium|entry-level|in-house|third-party|B2B|B2C|internal|weekend|overnight|retail|online
|wholesale|public-sector|nonprofit|multi-site|single-site|pilot-phase|second-phase""".split("|")
QUALIFIERS = [q.strip() for q in QUALIFIERS]

ORGANISATIONS = """at a logistics start-up|at a public hospital|in a family-owned retail chain|at a global bank|at a small charity
|at a software agency|at a university|in a city council department|at a fast-growing fintech|at a manufacturing plant
|at a regional airline|in a busy call centre|at a consumer electronics brand|at a law firm|at an online marketplace
|at a hotel group|at a telecom operator|at a games studio|at a pharmaceutical company|at an energy utility
|at a media publisher|at a construction firm|in a secondary school|at a food delivery company|at an insurance broker
|at a research lab|at a fashion retailer|at a travel agency|at a car manufacturer|at a recruitment agency
|at a bicycle maker|at a children's charity|at a cinema chain|at a coffee roaster|at a dental practice
|at a shipping line|at a football club|at a museum|at a water company|at a housing association|at a local newspaper
|at a cloud hosting provider|at a vineyard|at a toy company|at a cosmetics brand|at a print shop|at a gym chain
|at a payroll bureau|at a mining company|at a theatre|at a veterinary clinic|at a solar installer|at a bakery chain
|at a ride-hailing company|at a language school|at a furniture maker|at a call-centre outsourcer|at a port authority
|at a health insurer|at a space start-up"""
ORGANISATIONS = [o.strip() for o in ORGANISATIONS.split("|")]

WHO = """your manager|a senior stakeholder|the finance director|a long-standing client|a new client|the head of sales
|a peer on another team|your most experienced colleague|a new hire on your team|the legal team|the board
|an external auditor|a key supplier|the product owner|the operations lead|a frustrated customer|the CEO
|a regional director|the support team|the engineering lead|the design lead|a project sponsor|the compliance officer
|a vocal user group|the marketing director|the HR partner|a union representative|a school principal|a ward sister
|the procurement team|a contractor|an agency partner|a data protection officer|the security team
|the customer success lead|a department head|the hiring manager|a major investor|the steering committee
|a new executive|the night shift|a remote team|the analytics team|the platform team|a parent|a patient's family
|the facilities manager|the quality team|a city inspector|the sales engineers|the store staff|the warehouse team"""
WHO = [w.strip() for w in WHO.split("|")]

CONSTRAINTS = """with half the usual budget|two weeks before a deadline|while your manager was on leave|during a hiring freeze
|with no historical data|across three time zones|in the middle of a reorganisation|after a key person resigned
|with a fixed launch date|under a regulatory deadline|with incomplete requirements|during the busiest season
|while a merger was under way|with a team you had just joined|after the scope doubled|without any extra headcount
|with the whole company watching|after a failed first attempt|in your first month|with a vendor who kept slipping
|while also covering another role|after the budget was cut mid-year|with conflicting instructions from above
|on a tight weekend schedule|when the usual tools were down|with stakeholders in four countries
|with only partial access to the data|after a public complaint|while training a replacement
|with a contract penalty at stake|under close audit scrutiny|before the end of the fiscal year
|a week after a product recall|with two managers giving different orders|while the office was being moved
|during a system migration|with a brand-new team|during the summer holidays|after a bad customer survey
|while working part-time|with a budget frozen until approval|during a software outage|with a critic on the board
|after a hostile press article|while half the team was remote|under a new regulation|a month before an audit
|with no project manager|during a price war|while a competitor launched first"""
CONSTRAINTS = [c.strip() for c in CONSTRAINTS.split("|")]

METRICS = """customer satisfaction|the error rate|time to resolution|cost per lead|revenue per customer|employee turnover
|on-time delivery|first-contact resolution|page load time|conversion rate|gross margin|net promoter score
|the defect rate|cycle time|stock accuracy|churn|average handling time|uptime|forecast accuracy|response time
|engagement|the backlog size|cash flow|utilisation|the renewal rate|lead quality|test coverage|patient wait times
|pass rates|open rates|click-through rate|cost per hire|time to hire|audit findings|return rates|basket size"""
METRICS = [m.strip() for m in METRICS.split("|")]

SETBACKS = """a missed deadline|a budget overrun|a critical bug|a lost client|a failed audit|a bad quarter
|a public complaint|a team conflict|a supplier failure|a data breach scare|a rejected proposal|a product recall
|a sudden resignation|an outage|a scathing review|a drop in sales|a failed pilot|a legal challenge"""
SETBACKS = [s.strip() for s in SETBACKS.split("|")]

ISSUES = """a calculation error|a compliance gap|a security flaw|duplicated records|a misleading chart
|an unapproved discount|a missing sign-off|a licensing problem|a safety risk|an accessibility barrier
|a pricing mistake|a privacy issue|an outdated assumption|a broken integration|inconsistent figures"""
ISSUES = [s.strip() for s in ISSUES.split("|")]

EVENTS = """a board meeting|the launch|a client demo|the quarterly review|an external audit|the holiday peak
|a press announcement|contract signature|the go-live|an investor update|the annual conference|an inspection"""
EVENTS = [s.strip() for s in EVENTS.split("|")]

AUDIENCES = """first-time users|a global customer base|internal teams|small businesses|enterprise clients
|regulators|new employees|non-technical managers|mobile-only customers|students|patients|partners"""
AUDIENCES = [s.strip() for s in AUDIENCES.split("|")]

RESOURCES = ["budget", "people", "time", "attention of leadership", "engineering capacity", "shelf space",
             "marketing spend", "review slots", "equipment", "office space"]

# A question is an opener, a core built from the vocabulary, and a follow-up, so that two
# questions share little fixed text and near-duplicate detection has realistic work.
PAST_OPENERS = """Tell us about a time when|Tell me about a time when|Describe a situation in which
|Give an example of a time when|Walk me through an occasion when|Share an experience where|Think back to a moment when
|Recall a project in which|Can you describe a time when|Talk about a period when|What happened the last time
|Describe the most recent occasion when|Give us a concrete example of a time when|Take us back to a day when
|Tell us about a project where|Describe a week in which
|Can you think of a time when|Describe a moment in your career when|Tell us about a difficult week when
|Give an example from your last job where|Tell us about an occasion when|Describe an incident in which
|Tell me about a time early in your career when|Share an example of a time when|Describe the last time"""
PAST_OPENERS = [s.strip() for s in PAST_OPENERS.split("|")]
OTHERS_DID = """pushed back on|asked you to rescue|questioned the cost of|wanted to cancel|criticised your plan for
|doubled the scope of|handed you|escalated a complaint about|asked you to speed up|rejected your proposal for
|took credit for your work on|disagreed with your estimate for|gave you sole ownership of|changed the requirements for
|lost confidence in|demanded a daily update on|found a mistake in|raised a safety concern about|cut the budget for
|missed their part of|asked you to cut corners on|publicly blamed your team for|wanted to outsource|refused to sign off
|insisted on a shortcut for|asked for a refund after|threatened to walk away from|added a new deadline to
|asked you to present the results of|ignored your warning about"""
OTHERS_DID = [s.strip() for s in OTHERS_DID.split("|")]
YOU_DID = """you had to rescue|you missed a deadline on|you inherited|you made a costly mistake on|you had to say no to
|you volunteered to lead|you disagreed with the plan for|you had to learn a new skill to deliver|you simplified
|you had to restart|you took over|you had to explain a delay on|you found a better way to run|you cut the cost of
|you had to hand over|you were blamed unfairly for|you stopped|you automated part of|you had to defend"""
YOU_DID = [s.strip() for s in YOU_DID.split("|")]
PAST_FOLLOW_UPS = """How did you handle it?|What did you do first, and what did you learn?|How was it resolved?
|What was the outcome, and what would you change?|Which steps did you take, and in what order?
|How did you keep everyone informed?|What exactly was your role?|How did you decide what to do?
|What did it teach you about working with others?|How did you measure whether your response worked?
|Who did you involve, and why?|What would you do differently today?|How did you keep the team motivated?
|What was the hardest decision you made?|How did you rebuild trust afterwards?|What did you change in your process as a result?
|How did you balance speed against quality?|What did you say, and how was it received?
|What did you do in the first hour?|How did you explain your decision to others?|What would you repeat, and what not?
|What was your biggest mistake in handling it?|What feedback did you get afterwards?|How did it end?
|What did you learn about yourself?|What did you do when the first plan failed?"""
PAST_FOLLOW_UPS = [s.strip() for s in PAST_FOLLOW_UPS.split("|")]
IF_OPENERS = """How would you respond if|What would you do if|How would you handle it if|What is your first step if
|How would you proceed if|What would you say if|How would you react if|What would you prioritise if
|Who would you talk to first if|How would you protect the team if
|What would worry you most if|What is the first thing you would check if|How would you explain it to your team if
|What would you write in your first email if|How would you recover if"""
IF_OPENERS = [s.strip() for s in IF_OPENERS.split("|")]
IMAGINE_OPENERS = ["Imagine that", "Suppose", "Picture a situation in which", "Let us say that", "Assume that"]
IMAGINE_FOLLOW_UPS = """What would you do first?|How would you respond?|Who would you talk to, and what would you say?
|What would your plan look like for the first week?|How would you decide what to do?|What would you tell your team?
|Which risks would worry you most?|How would you know that you had made the right call?
|How would you protect the relationship?|What would you say in the first meeting?|What would you refuse to do?
|How would you involve your manager?"""
IMAGINE_FOLLOW_UPS = [s.strip() for s in IMAGINE_FOLLOW_UPS.split("|")]
TECHNICAL_OPENERS = """How do you measure the success of|Which methods would you use to plan|How would you evaluate
|What data would you look at before approving|How would you design|Which tools would you choose to run
|How do you estimate the effort for|What are the main risks when you run|How would you test|How would you automate parts of
|Which metrics would you put on a dashboard for|How would you structure the documentation for|How do you budget for
|What would your checklist contain for|How would you find the root cause of problems in|How would you scale up
|How do you decide when to stop|How would you set targets for
|What is your process for reviewing|How would you reduce the risk in|Which checks would you build into
|How would you forecast the cost of|What would you put in a post-mortem for|How do you decide who should own
|How would you compare vendors for|What would your rollout plan be for|How would you pilot"""
TECHNICAL_OPENERS = [s.strip() for s in TECHNICAL_OPENERS.split("|")]
TECHNICAL_FOLLOW_UPS = """How do you report on {metric}?|Which trade-offs matter most?|How would you know it worked?
|What would you automate first?|Which mistakes do people make most often?|Who would you involve, and when?
|What does a good first version look like?|Which numbers would you watch every week?|How do you keep {who} confident?
|What would make you change course?|How do you keep the cost under control?|Where do most estimates go wrong?
|What would you leave out of the first version?|How do you handle incomplete data?|Which tools would you avoid, and why?
|How do you document the decision?|What is the most common failure you have seen?|How would you train others to do it?"""
TECHNICAL_FOLLOW_UPS = [s.strip() for s in TECHNICAL_FOLLOW_UPS.split("|")]
ROLE_VERBS = """prioritise|plan|explain|hand over|recover|scope|budget for|staff|measure|review|simplify|document
|rescue|pitch|negotiate|pause|audit|speed up|test|roll out""".split("|")
ROLE_VERBS = [s.strip() for s in ROLE_VERBS]
ROLE_FOLLOW_UPS = """How would you approach it?|What would you need from {who2}?|What would you do in the first week?
|Which parts would you delegate?|How would you know you had succeeded?|What would you say no to?
|Which risks would you raise early?|How would you keep {who2} on side?|What would you measure besides {metric}?
|What is the first question you would ask?
|What would you want to know before starting?|How would you explain it to a newcomer?|What would worry you most?
|How would you involve the rest of the team?|What would a good result look like after a month?"""
ROLE_FOLLOW_UPS = [s.strip() for s in ROLE_FOLLOW_UPS.split("|")]
GENERAL_OPENERS = """What motivates you when working on|What do you find hardest about|How do you stay calm during
|Which habit helps you most with|What advice would you give a colleague starting|What have you learned from running
|How do you keep learning while running|What do you enjoy least about|What would your last manager say about how you handle
|Why do you think people struggle with|What surprised you most about|How has your view changed on
|What gives you energy when leading|What frustrates you most about|How do you prepare mentally for
|What is the most useful skill you brought to|What part of your personality helps with|How would friends say you cope with"""
GENERAL_OPENERS = [s.strip() for s in GENERAL_OPENERS.split("|")]
GENERAL_TAILS = ["?", ", and why?", ", and how has that changed over time?", ", and what does that say about you?",
                 ", and what would you do differently now?", ", and how does it affect {who2}?"]


SAMPLE_OPENERS = [
    "A while ago I was working on {an_item} when {who} raised a concern about how it was going.",
    "In my last role I was responsible for {an_item}, and this question reminds me of that work.",
    "I remember working on {an_item} {cons}, which was a good learning experience for me.",
    "One example that comes to mind is {an_item} that I looked after for about six months.",
]
SOLID_OPENERS = [
    "In my previous role I owned {an_item} {cons}, and {who} was the main person I reported progress to.",
    "At my last company I was asked to lead {an_item} {cons}, with {metric} as the measure of success.",
    "Last year I took over {an_item} {cons}; at the time {metric} had been getting worse for two quarters.",
]
EXCEPTIONAL_SECOND_OPENERS = [
    "Looking back, the biggest change was in how the team worked.",
    "The fix itself was only half of the work.",
    "What I am most proud of is what happened after the immediate problem was solved.",
]
EXCEPTIONAL_OPENERS = [
    "At a company of about {n} people I led {an_item} {cons}, with {who} as the sponsor and {metric} as the agreed measure.",
    "Two years ago I inherited {an_item} {cons}; {metric} was {p} percent below target and {who} was losing patience.",
    "I was asked to lead {an_item} {cons} after {setback}, and I started by agreeing with {who} what success would look like.",
]

SAMPLE_SENTENCES = [
    "I made sure to keep {who} updated on the progress every week.",
    "We met as a team to talk about the best way forward and agreed on the next steps.",
    "I looked at {metric} to understand what was happening.",
    "I tried to stay calm and focus on what we could control.",
    "After some discussion we decided to change our approach a little.",
    "I asked {who} for feedback and used it to improve the plan.",
    "It took some extra effort, but we finished the work in the end.",
    "I learned that communication is very important in situations like this.",
    "I wrote a short summary of what happened so that everyone was on the same page.",
    "We also checked {metric} again at the end to see whether things had improved.",
    "Looking back, I think it went reasonably well given the circumstances.",
    "I worked some longer days to make sure nothing was forgotten.",
    "I made a list of the open tasks and went through them one by one with the team.",
    "We had a few difficult conversations, but everyone stayed professional.",
    "The outcome was positive and {who} seemed happy with the result.",
    "I shared what I learned with my team so they could use it next time.",
    "Some things did not go as planned, so we adjusted the timeline by {d} days.",
    "I used a spreadsheet to keep track of {metric} during the {noun}.",
    "I also spoke to {who2}, who had seen something similar before and gave me some useful tips.",
    "At first I was not sure where to start, so I asked my manager for advice.",
    "In the end we delivered most of what was planned, and the rest followed a bit later.",
    "I think the main thing was that I did not give up when it got difficult.",
]
SOLID_SENTENCES = [
    "I set up a weekly thirty-minute check-in with {who} and shared a one-page status note before each one.",
    "Within {d} days we had improved {metric} by {p} percent, which I confirmed against the previous quarter.",
    "I broke the work into {k} milestones, each with a named owner and a date, and published them where everyone could see them.",
    "When the first plan slipped, I renegotiated the scope with {who} instead of quietly pushing the date.",
    "I compared three options on cost, risk and time, and recommended the one that protected {metric}.",
    "I interviewed {k} people who were affected to understand the problem before proposing a fix.",
    "We ran a small pilot with {k} users first, which caught two issues before the full rollout.",
    "I documented the decision and the reasons for it, so that {who} could explain it to their own team.",
    "By the end of the quarter {metric} was back within target, and it has stayed there since.",
    "I flagged the risk early in writing, with a recommendation and a deadline for a decision.",
    "I tracked {metric} daily on a simple dashboard so the team could see whether our changes worked.",
    "I asked a colleague from another team to review the plan, and their comments saved us about {d} days.",
    "The total cost came in {p} percent under the revised budget, mostly because we cancelled work nobody needed.",
    "I held a short retrospective afterwards and turned its three main findings into tickets with owners.",
    "I made sure {who} heard bad news from me first, together with what we were doing about it.",
    "We agreed a clear definition of done with {who} up front, which avoided arguments at the end.",
    "I asked {who2} to sign off the revised plan in writing, so that there was one agreed version of the truth.",
    "I checked {metric2} as well, to make sure we were not improving one number at the expense of another.",
    "Two of the original tasks turned out to be unnecessary, so I dropped them and explained why in the weekly note.",
    "I kept a short risk list with an owner for each risk and reviewed it every Monday with the team.",
]
EXCEPTIONAL_SENTENCES = [
    "Rather than jump to a fix, I spent the first {d} days finding the root cause, and it turned out to be a process gap rather than any one person's mistake.",
    "I set up a small working group with {who} and two people from the teams most affected, and gave each a clear decision they owned.",
    "We agreed up front how we would measure success, so that nobody could move the goalposts later.",
    "I wrote a one-page proposal with three options and their costs, and I recommended the least popular one because the data supported it.",
    "To prevent a repeat, I changed the process itself: every {noun} now has a named owner, a checklist and a review before it starts.",
    "I coached a junior colleague to run the weekly updates, which freed me to work on the harder problems and gave them visible credit.",
    "Over the next two quarters {metric} improved by {p} percent, and the number of escalations fell from {k2} to {k}.",
    "I was open with {who} about the trade-offs, including what we would not do, and I put that in writing.",
    "I tested the riskiest assumption first with a cheap experiment, which took {d} days instead of the months a full build would have needed.",
    "When the results came in, I shared them with the whole department, including the parts that did not go well.",
    "The approach has since been adopted by {k} other teams, and I helped two of them adapt it to their own work.",
    "I kept a decision log so that anyone joining later could see why each choice had been made.",
    "Because the change touched several teams, I met each team lead individually before the group meeting, so there were no surprises.",
    "We saved roughly {p} percent of the annual cost, and I reinvested part of it in training for the team.",
    "A year later the same situation came up again and the new process handled it without my involvement, which was the real test.",
    "I also asked for honest feedback on my own part, and I changed how I delegate as a result.",
    "I made the measurement automatic, so {metric} is now reported every week without anyone having to remember.",
    "When {who} pushed for a faster but riskier option, I showed them the failure data from last year and we agreed on a staged plan.",
    "I asked {who2} to challenge the plan before we committed to it, and their questions exposed two assumptions we had never tested.",
    "We tracked {metric2} alongside {metric}, because an improvement that quietly made another number worse would not have been a real improvement.",
    "I built the business case in plain language, with the cost of doing nothing next to the cost of the change, so that the decision was easy to make.",
    "Within {d} days the first results were visible, and I used them to win support for the second phase rather than asking for everything at once.",
    "I made sure the people who did the work presented the results to leadership, which did more for morale than any bonus could have.",
    "I wrote the lessons into our onboarding guide, so that new joiners learn them in their first week instead of the hard way.",
    "We agreed in advance what would make us stop, and at the halfway review we did drop one part of the plan because the data said it was not working.",
    "I set up a monthly review of {metric} with {who2}, which turned a one-off rescue into a habit the team kept.",
]
SOLID_CRITIQUE_SENTENCES = [
    "The solid answer gives a clear timeline, explicit ownership and specific actions rather than general intentions.",
    "The solid answer quantifies the result and shows how the candidate checked that the change worked.",
    "It shows the candidate communicating early and in writing, which builds trust with stakeholders.",
    "The use of a pilot and a named definition of done shows sensible risk management.",
    "It connects the actions to {metric}, so the interviewer can see the impact.",
    "The answer is well structured and easy to follow from situation to result.",
    "It shows the candidate taking responsibility when the first plan slipped instead of hiding the problem.",
]
SOLID_CRITIQUE_ENDINGS = [
    "However, it could explain the root cause in more depth and say what was done to stop the problem happening again.",
    "However, it could show more leadership, for example how the candidate brought others along rather than doing the work alone.",
    "However, it stays at the level of one project and could say how the lesson changed the candidate's approach afterwards.",
    "However, it could describe the trade-offs that were considered and why the chosen option was worth its cost.",
]
EXCEPTIONAL_CRITIQUE_SENTENCES = [
    "The exceptional answer shows real leadership: the candidate sets up clear roles, involves the right people and makes reasoned calls under pressure.",
    "It goes past the immediate fix to the systemic root cause and changes the process so the problem does not come back.",
    "The measured results over several quarters prove the change worked, and the adoption by other teams shows lasting impact.",
    "The candidate is honest about trade-offs and shares bad news openly, which interviewers value highly.",
    "Coaching a colleague and asking for feedback on their own part shows maturity and self-awareness.",
    "Testing the riskiest assumption first with a cheap experiment shows good judgement about where to spend effort.",
    "Tying every step to {metric} keeps the story focused on outcomes rather than activity.",
]
EXCEPTIONAL_CRITIQUE_ENDINGS = [
    "However, it could say more about what the candidate would do differently with hindsight.",
    "However, it could be shorter in places, and it could mention how the cost of the new process was justified to the team.",
    "However, it could name the one or two decisions that mattered most, so the interviewer remembers them.",
    "However, it could explain how the candidate handled people who disagreed with the new process.",
]
TIPS = [
    "Prepare a specific example involving {an_item} and be ready to walk through it step by step.",
    "Bring numbers for {metric}, both before and after your work, and say how you measured them.",
    "Explain your own role clearly, and separate what you did from what the team did.",
    "Describe how you kept {who} informed, including when the news was bad.",
    "Be ready to explain the root cause and what changed afterwards, not just the quick fix.",
    "Practise telling the story in about two minutes, then be ready to go deeper on any part.",
    "Think about the trade-offs you made and what you chose not to do, and why.",
    "Show what you learned and give an example of applying it later.",
    "Avoid blaming others; focus on what you controlled and how you responded.",
    "Research how the company runs work such as {an_item}, so you can relate your example to their situation.",
    "Prepare a second, shorter example in case the interviewer asks for another one.",
    "Know the common frameworks for planning {an_item} in your field, and when you would not use them.",
]

_SLUG_DROP = frozenset("a an the you your to of in on for and or with what how do did would is was when which".split())


def _article(phrase: str) -> str:
    return f"an {phrase}" if phrase[0] in "aeiouAEIOU" else f"a {phrase}"


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _normalise(question: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", question.lower()).split())


class _Words:
    """Random slot values for one question, drawn from the shared vocabulary (``narrow``: from a small part of it)."""

    def __init__(self, rng: random.Random, role: str, narrow: bool = False) -> None:
        adjectives, nouns, people = (ADJECTIVES[:14], NOUNS[:30], WHO[:16]) if narrow else (ADJECTIVES, NOUNS, WHO)
        qualifier = f"{rng.choice(QUALIFIERS)} " if rng.random() < 0.6 and not narrow else ""
        item = f"{rng.choice(adjectives)} {qualifier}{rng.choice(nouns)}"
        other = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        who = rng.choice(people)
        self.item = item
        self.values = {
            "an_item": _article(item), "the_item": f"the {item}", "an_other": _article(other),
            "who": who, "Who": who[0].upper() + who[1:], "cons": rng.choice(CONSTRAINTS),
            "metric": rng.choice(METRICS), "metric2": rng.choice(METRICS), "who2": rng.choice(WHO),
            "setback": rng.choice(SETBACKS), "issue": rng.choice(ISSUES),
            "event": rng.choice(EVENTS), "audience": rng.choice(AUDIENCES), "resource": rng.choice(RESOURCES),
            "role_lower": " ".join(w if w.isupper() else w.lower() for w in role.split()),
            "noun": item.split(" ", 1)[1], "org": rng.choice(ORGANISATIONS),
        }


def _paragraph(rng: random.Random, opener: str, templates: Sequence[str], values: dict[str, object],
               numbers: Sequence[dict[str, int]], low: int, high: int) -> tuple[str, int]:
    """An opener plus distinct template sentences, filled with the file's words, until ~[low, high] words."""
    target = rng.randint(low, high)
    words = len(opener.split())
    parts = [opener]
    for template in rng.sample(templates, len(templates)):
        if words >= target:
            break
        sentence = template.format_map({**values, **numbers[int(rng.random() * len(numbers))]})
        parts.append(sentence)
        words += len(sentence.split())
    return " ".join(parts), words


def _critique(rng: random.Random, values: dict[str, object], sentences: Sequence[str], endings: Sequence[str]) -> str:
    chosen = rng.sample(sentences, rng.randint(4, 5)) + [rng.choice(endings)]
    return " ".join(chosen).format(**values)


def _question_text(rng: random.Random, words: _Words) -> tuple[str, str]:
    """A category and a question composed from an opener, a vocabulary core and a follow-up."""
    v = words.values
    cons = f" {v['cons']}" if rng.random() < 0.5 else f" {v['org']}"
    if rng.random() < 0.6:
        core = f"{v['who']} {rng.choice(OTHERS_DID)} {v['the_item']}"
    else:
        core = f"{rng.choice(YOU_DID)} {v['the_item']} for {v['who']}"
    kind = rng.choices(("behavioral", "if", "imagine", "technical", "role-specific", "general"), weights=(35, 15, 8, 17, 13, 12))[0]
    if kind == "behavioral":
        return "behavioral", f"{rng.choice(PAST_OPENERS)} {core}{cons}. {rng.choice(PAST_FOLLOW_UPS)}"
    if kind == "if":
        return "situational", f"{rng.choice(IF_OPENERS)} {core}{cons}?"
    if kind == "imagine":
        return "situational", f"{rng.choice(IMAGINE_OPENERS)} {core}{cons}. {rng.choice(IMAGINE_FOLLOW_UPS)}"
    if kind == "technical":
        follow = rng.choice(TECHNICAL_FOLLOW_UPS).format(**v)
        return "technical", f"{rng.choice(TECHNICAL_OPENERS)} {v['an_item']}{cons}? {follow}"
    if kind == "role-specific":
        follow = rng.choice(ROLE_FOLLOW_UPS).format(**v)
        return "role-specific", f"As {_article(v['role_lower'])}, how would you {rng.choice(ROLE_VERBS)} {v['the_item']}{cons}? {follow}"
    tail = rng.choice(GENERAL_TAILS).format(**v)
    where = cons if rng.random() < 0.5 else f" with {v['who']}"
    return "general", f"{rng.choice(GENERAL_OPENERS)} {v['an_item']}{where}{tail}"


#: The frames of the "similar" shape: every question is one of these with its slots filled.
SIMILAR_FRAMES = [
    ("behavioral", "Tell us about a time when you had to manage {the_item} for {who}{cons}. How did you handle it?"),
    ("behavioral", "Describe a time when {who} asked you to take over {the_item}{cons}. What did you do first?"),
    ("situational", "What would you do if {who} asked you to take over {the_item}{cons}?"),
    ("situational", "How would you plan {the_item} for {who}{cons}?"),
    ("technical", "Which metrics would you track for {the_item} with {who}{cons}?"),
]
SHAPES = ("varied", "similar")


def _similar_question(rng: random.Random, words: _Words) -> tuple[str, str]:
    """A category and a question from one of a few frames: it shares most of its words with many others."""
    category, frame = rng.choice(SIMILAR_FRAMES)
    v = words.values
    cons = f" {v['cons']}" if rng.random() < 0.5 else ""
    return category, frame.format(the_item=v["the_item"], who=v["who"], cons=cons)


#: One small edit that keeps the meaning: how the intended near-duplicates are made.
_EDITS: list[tuple[str, str]] = [
    ("How did you handle it?", "How did you deal with it?"), ("Tell us about", "Tell me about"),
    ("Tell me about", "Tell us about"), ("What would you do", "What should you do"), ("How would you", "How could you"),
    ("Suppose", "Imagine that"), ("Imagine that", "Suppose"), ("What is", "What's"), ("hardest", "toughest"),
    ("biggest", "largest"), ("What exactly", "What"), ("How do you", "How would you"), (" the ", " our "),
]


def _near_duplicate(rng: random.Random, question: str) -> str:
    edits = [(old, new) for old, new in _EDITS if old in question]
    if edits:
        old, new = rng.choice(edits)
        return question.replace(old, new, 1)
    return question[:-1] + ", in your own words?"  # pragma: no cover - every question has " the " or an opener above


def _yaml_block(text: str, indent: str = "      ") -> str:
    return "".join(f"{indent}{line}\n" if line else "\n" for line in text.split("\n"))


_FILE = """# yaml-language-server: $schema=../../schema/question.schema.json
id: {id}
guid: "{guid}"
role: {role}
question: {question}
category: {category}
status: reviewed
answers:
  sample:
    text: |
{sample}  solid:
    text: |
{solid}    critique: |
{solid_critique}  exceptional:
    text: |
{exceptional}    critique: |
{exceptional_critique}prep_tips:
{tips}competencies:
{competencies}{related}{provenance}"""

_GUID_ALPHABET = string.ascii_letters + string.digits
#: Guids that spell a placeholder word could trip a naive placeholder rule: draw again.
_MARKER_LIKE = re.compile(r"todo|tbd|fixme|xxx", re.IGNORECASE)
#: What a plain (unquoted) YAML scalar must not contain or start with.
_UNSAFE_PLAIN = re.compile(r": |\s#|^[-?:,\[\]{}#&*!|>'\"%@`]|\s$")


def _plain(value: str, end: str = "") -> str:
    """The value, checked to be safe as a plain one-line YAML scalar (the templates guarantee it)."""
    if _UNSAFE_PLAIN.search(value) or "\n" in value or not value.endswith(end):
        raise ValueError(f"generator bug: {value!r} cannot be written as a plain YAML scalar")
    return value


def generate(n: int, root: str | os.PathLike[str], seed: int = 1, *, force: bool = False,
             progress: Callable[[str], None] | None = None, shape: str = "varied") -> dict:
    """Write ``n`` question files under ``root`` and return the manifest (also written to root)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    similar = shape == "similar"
    root = Path(root)
    questions_dir = root / "questions"
    if questions_dir.exists() and any(questions_dir.iterdir()):
        if not force:
            raise FileExistsError(f"{questions_dir} already exists and is not empty (use --force to replace it)")
        shutil.rmtree(questions_dir)
    if (root / "schema").exists():
        shutil.rmtree(root / "schema")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "schema", root / "schema")
    (root / MANIFEST).unlink(missing_ok=True)
    started = time.perf_counter()
    rng = random.Random(seed)
    # The small numbers sentences quote ("within 12 days", "by 30 percent"), drawn once: randint per
    # sentence would be a third of the run time.
    numbers = [{"d": rng.randint(3, 45), "p": rng.randint(4, 60), "k": rng.randint(2, 9), "k2": rng.randint(10, 40)}
               for _ in range(997)]

    # Pass 1: who is where, and what each question asks (distinct after normalisation).
    weights = [1.0 / (1 + i * 0.08) for i in range(len(ROLES))]
    roles = rng.choices(ROLES, weights=weights, k=n)
    wanted_dups = round(n * NEAR_DUPLICATE_SHARE) if n >= 100 else 0
    dup_slots = set(rng.sample(range(n // 2, n), wanted_dups)) if wanted_dups else set()
    seen_questions: set[str] = set()
    used_slugs: set[str] = set()
    by_role: dict[str, list[int]] = {}
    records: list[dict] = []
    near_duplicates: list[list[str]] = []
    for index, role in enumerate(roles):
        role_slug = _slugify(role)
        words = _Words(rng, role, narrow=similar)
        source = None
        if index in dup_slots and by_role.get(role):
            source = records[rng.choice(by_role[role])]
            category, question = source["category"], _near_duplicate(rng, source["question"])
            if _normalise(question) in seen_questions:
                source = None
        if source is None:
            for _ in range(1000):
                category, question = _similar_question(rng, words) if similar else _question_text(rng, words)
                if _normalise(question) not in seen_questions:
                    break
                words = _Words(rng, role, narrow=similar)
            else:  # pragma: no cover - the vocabulary has millions of combinations
                raise RuntimeError("could not find a distinct question")
        seen_questions.add(_normalise(question))
        base = "-".join(w for w in _slugify(words.item + " " + words.values["who"]).split("-") if w not in _SLUG_DROP)[:60].strip("-")
        slug, k = base, 2
        while f"{role_slug}/{slug}" in used_slugs:
            slug, k = f"{base}-{k}", k + 1
        qid = f"{role_slug}/{slug}"
        used_slugs.add(qid)
        if source is not None:
            near_duplicates.append([source["id"], qid])
        by_role.setdefault(role, []).append(index)
        records.append({"id": qid, "role": role, "category": category, "question": question, "words": words})

    # Pass 2: texts, links and the file itself.
    guids: set[str] = set()
    total_bytes = 0
    made_dirs: set[Path] = set()
    for index, rec in enumerate(records):
        words: _Words = rec["words"]
        v = dict(words.values, p=rng.randint(10, 60), n=rng.choice([40, 80, 150, 300, 600, 1200, 5000]))
        sample, sample_words = _paragraph(rng, rng.choice(SAMPLE_OPENERS).format(**v), SAMPLE_SENTENCES, v, numbers, 155, 180)
        solid, solid_words = _paragraph(rng, rng.choice(SOLID_OPENERS).format(**v), SOLID_SENTENCES, v, numbers,
                                        max(240, sample_words + 40), 270)
        shuffled = rng.sample(EXCEPTIONAL_SENTENCES, len(EXCEPTIONAL_SENTENCES))
        half = len(shuffled) // 2
        first, first_words = _paragraph(rng, rng.choice(EXCEPTIONAL_OPENERS).format(**v), shuffled[:half], v, numbers, 200, 220)
        second, _ = _paragraph(rng, rng.choice(EXCEPTIONAL_SECOND_OPENERS), shuffled[half:], v, numbers,
                               max(190, solid_words + 40 - first_words), 215)
        exceptional = first + "\n\n" + second
        solid_critique = _critique(rng, v, SOLID_CRITIQUE_SENTENCES, SOLID_CRITIQUE_ENDINGS)
        exceptional_critique = _critique(rng, v, EXCEPTIONAL_CRITIQUE_SENTENCES, EXCEPTIONAL_CRITIQUE_ENDINGS)
        tips = [t.format(**v) for t in rng.sample(TIPS, rng.randint(4, 6))]
        competencies = rng.sample(COMPETENCIES, rng.randint(3, 5))
        peers = [i for i in by_role[rec["role"]] if i != index]
        links = rng.sample(peers, min(len(peers), rng.choices([0, 1, 2, 3], weights=[10, 30, 45, 15])[0]))
        related = "related:\n" + "".join(f"  - {records[i]['id']}\n" for i in links) if links else ""
        provenance = ""
        if rng.random() < 0.3:
            day = rng.randint(1, 28)
            provenance = (f"provenance:\n  drafted_by: gpt-4o-mini\n  drafted_at: 2026-{rng.randint(1, 12):02d}-{day:02d}T10:00:00Z\n"
                          f"  prompt_version: \"{rng.randint(1, 3)}\"\n")
        while True:
            guid = "".join(rng.choices(_GUID_ALPHABET, k=10))
            if guid not in guids and not _MARKER_LIKE.search(guid):
                guids.add(guid)
                break
        text = _FILE.format(
            id=rec["id"], guid=guid, role=rec["role"], question=_plain(rec["question"], "?"), category=rec["category"],
            sample=_yaml_block(sample), solid=_yaml_block(solid), solid_critique=_yaml_block(solid_critique),
            exceptional=_yaml_block(exceptional), exceptional_critique=_yaml_block(exceptional_critique),
            tips="".join(f"  - {_plain(t)}\n" for t in tips), competencies="".join(f"  - {c}\n" for c in competencies),
            related=related, provenance=provenance,
        )
        path = questions_dir / f"{rec['id']}.yaml"
        if path.parent not in made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(path.parent)
        data = text.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        total_bytes += len(data)
        if progress and (index + 1) % 10000 == 0:
            progress(f"{index + 1} files")

    manifest = {
        "generator": "qtool bench/gen_corpus.py",
        "format_version": FORMAT_VERSION,
        "source_sha256": source_digest(),
        "n": n,
        "seed": seed,
        "shape": shape,
        "roles": len(by_role),
        "bytes": total_bytes,
        "mean_bytes": round(total_bytes / n),
        "seconds": round(time.perf_counter() - started, 2),
        "near_duplicates": near_duplicates,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def source_digest() -> str:
    """A hash of this generator and the schema it copies: a bank built by other code is stale."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((REPO / "schema").glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="number of question files")
    parser.add_argument("dir", metavar="DIR", help="bank root to create (questions/ and schema/ go inside)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1); same N and seed give identical files")
    parser.add_argument("--shape", choices=SHAPES, default="varied",
                        help="varied (default): distinct questions; similar: a few frames and a narrow vocabulary")
    parser.add_argument("--force", action="store_true", help="replace DIR/questions if it already exists")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    try:
        manifest = generate(args.n, args.dir, args.seed, force=args.force, shape=args.shape,
                            progress=lambda m: print(m, file=sys.stderr, flush=True))
    except FileExistsError as exc:
        print(f"gen_corpus: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {manifest['n']} files ({manifest['bytes'] / 1e6:.1f} MB, mean {manifest['mean_bytes']} bytes, "
          f"{manifest['roles']} roles, {len(manifest['near_duplicates'])} near-duplicate pairs) "
          f"to {args.dir} in {manifest['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
