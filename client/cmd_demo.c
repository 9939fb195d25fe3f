/* cmd_demo.c — okr demo: loads a realistic organisation into an empty server
 * so that dashboards, alignment views and the coach have something to show.
 *
 * What it builds (deterministic: a fixed PRNG seed, so two runs against two
 * empty servers give the same organisation, only the ids and times differ):
 *   - a company, 3 departments and 8 teams; 40 users, each in a team (leads
 *     marked), department heads in the company team, team leads in their
 *     department; every password is "demo-" + the user name;
 *   - a closed cycle (the previous quarter): 20 objectives with their key
 *     results, 4 check-ins each, then closed so every objective has a score;
 *   - the active cycle (started 8 weeks ago): 60 objectives aligned company ->
 *     department -> team -> person, about 200 key results (some linked to the
 *     child objective they depend on), 8 check-ins per key result — one per
 *     week of the cycle so far — with trends that end on track, at risk or off
 *     track; tasks, comments and kudos.
 *
 * Check-ins are dated on the week they stand for (CheckInRequest.at,
 * protocol 1.3; a server older than that dates them now), at office hours
 * near each week's end, so history, the review's "since the last meeting"
 * and staleness read as they would after 8 real weeks: a few key results of
 * objectives in trouble stopped being checked in two or three weeks ago.
 * Everything else is stamped with the time the demo runs.
 *
 * Check-ins, comments and tasks are written by the people they belong to:
 * the demo logs in as each demo user on a connection of their own. Structure
 * (teams, users, cycles, objectives, key results) is written by the admin
 * running the demo. Requests are pipelined (DEMO_BATCH in flight, across all
 * connections), which is what makes a few thousand writes take seconds. */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_kit.h"
#include "okr_error.h"

#define DEMO_SEED         20260301u
#define DEMO_BATCH        32
#define DEMO_NTEAMS       12
#define DEMO_NDEPTS       3
#define DEMO_NSQUADS      8 /* the teams under the departments */
#define DEMO_NUSERS       40
#define DEMO_MAX_OBJS     64
#define DEMO_MAX_KRS      256
#define DEMO_MAX_CYCLES   1024
#define DEMO_WEEKS        8 /* check-ins per key result in the active cycle */
#define DEMO_CLOSED_WEEKS 4 /* ... and in the closed one */
#define DEMO_COMMENTS     60
#define DEMO_KUDOS        25
#define DEMO_DAY_MS       86400000LL
#define DEMO_CYCLE_DAYS   91
#define DEMO_ELAPSED_DAYS 56
#define DEMO_PASSWORD_PFX "demo-"

static const char demo_usage[] =
    "Usage: okr demo\n"
    "\n"
    "Loads a realistic demo organisation into an empty server (admins only):\n"
    "a company with 3 departments and 8 teams, 40 users, a closed cycle with\n"
    "scores, and an active cycle with about 60 objectives aligned from the\n"
    "company down to people, about 200 key results with 8 weeks of check-ins,\n"
    "tasks, comments and kudos. Some titles are in Chinese.\n"
    "\n"
    "The demo users' passwords are \"demo-\" followed by the user name (alice:\n"
    "demo-alice). The content is the same on every run (a fixed random seed).\n"
    "It refuses to run when any cycle already has objectives: use it on a new\n"
    "server (okrd --data-dir on an empty directory).\n"
    "\n"
    "Options: the global ones (okr --help); --json prints a summary object.\n"
    "\n"
    "Examples:\n"
    "  okr demo\n"
    "  okr --server 127.0.0.1:7433 demo --json\n";

/* ---------------------------------------------------------------- the organisation */

typedef struct demo_team_def {
    const char *name;
    const char *description;
    int parent; /* index in demo_teams; -1 for the company */
} demo_team_def_t;

/* 0 the company, 1..3 the departments, 4..11 the teams (two or three per department). */
static const demo_team_def_t demo_teams[DEMO_NTEAMS] = {
    {"Acme", "The whole company", -1},
    {"Engineering", "Product engineering and data", 0},
    {"Sales & Marketing", "Selling Acme and telling the world about it", 0},
    {"客户成功部", "Customer Success: onboarding and support", 0},
    {"Platform", "APIs, infrastructure and reliability", 1},
    {"Mobile", "The iOS and Android apps", 1},
    {"Data", "Analytics, data engineering and models", 1},
    {"华东销售", "Sales in East China", 2},
    {"Sales West", "Sales on the West Coast", 2},
    {"Marketing", "Brand, content, events and community", 2},
    {"客户支持", "Customer support", 3},
    {"Onboarding", "Getting new customers live", 3},
};

typedef struct demo_user_def {
    const char *username;
    const char *name;
    int team; /* index in demo_teams */
    int lead;
} demo_user_def_t;

static const demo_user_def_t demo_users[DEMO_NUSERS] = {
    {"zhangwei", "张伟", 0, 1},       {"olivia", "Olivia Martin", 1, 1},
    {"lihua", "李华", 2, 1},          {"sofia", "Sofia Rossi", 3, 1},
    {"marcus", "Marcus Webb", 4, 1},  {"aiko", "Aiko Tanaka", 5, 1},
    {"priya", "Priya Nair", 6, 1},    {"chenjing", "陈静", 7, 1},
    {"diego", "Diego Alvarez", 8, 1}, {"emma", "Emma Larsen", 9, 1},
    {"wangfang", "王芳", 10, 1},      {"noah", "Noah Fischer", 11, 1},
    {"alice", "Alice Liu", 4, 0},     {"bob", "Bob Chen", 4, 0},
    {"ravi", "Ravi Kumar", 4, 0},     {"liuyang", "刘洋", 4, 0},
    {"carol", "Carol Diaz", 5, 0},    {"kenji", "Kenji Sato", 5, 0},
    {"zhaolei", "赵磊", 5, 0},        {"dave", "Dave Okafor", 6, 0},
    {"lena", "Lena Novak", 6, 0},     {"sunli", "孙丽", 6, 0},
    {"tom", "Tom Becker", 6, 0},      {"lilei", "李雷", 7, 0},
    {"hanmeimei", "韩梅梅", 7, 0},    {"zhouqiang", "周强", 7, 0},
    {"wuxia", "吴霞", 7, 0},          {"frank", "Frank Moreau", 8, 0},
    {"isabel", "Isabel Cruz", 8, 0},  {"omar", "Omar Haddad", 8, 0},
    {"hannah", "Hannah Weber", 9, 0}, {"yuki", "Yuki Mori", 9, 0},
    {"xuming", "徐明", 9, 0},         {"huangjie", "黄杰", 10, 0},
    {"linna", "林娜", 10, 0},         {"maria", "Maria Santos", 10, 0},
    {"gaoyan", "高燕", 10, 0},        {"jack", "Jack Obi", 11, 0},
    {"nina", "Nina Petrova", 11, 0},  {"hezhe", "何哲", 11, 0},
};

/* ---------------------------------------------------------------- the objectives
 *
 * A key result is "title|metric|unit|start|target" with metric n (number),
 * % (percent), $ (currency) or b (yes/no: start 0, target 1).
 *
 * Two things are left for the coach (okr lint) to find, as in any real
 * organisation: an objective with six key results, and a new objective whose
 * key results are not written yet. */

#define DEMO_MAX_KR_DEFS 6

typedef struct demo_obj_def {
    const char *title;
    char kind;         /* 'c' committed, 'a' aspirational */
    int parent;        /* see the tables below */
    const char *owner; /* a person's objective: the owner's user name */
    const char *krs[DEMO_MAX_KR_DEFS];
} demo_obj_def_t;

/* clang-format off: one line per objective and per key result reads better here */
/* The company's objectives (owned by the company team). */
static const demo_obj_def_t demo_company[3] = {
    {"提高客户满意度",
     'c',
     -1,
     NULL,
     {"NPS from 32 to 50|n||32|50", "客户满意度评分达到4.6分|n|分|4.1|4.6"}},
    {"Grow revenue in new markets",
     'a',
     -1,
     NULL,
     {"Annual recurring revenue reaches 15M USD|$|USD|12000000|15000000",
      "新增客户数量增加20%|%|%|0|20"}},
    {"Build a platform customers can rely on",
     'c',
     -1,
     NULL,
     {"Uptime of 99.95% or better|%|%|99.5|99.95",
      "P1 incidents per month down to 1|n|incidents|6|1"}},
};

/* Department objectives, three per department in demo_teams order; parent is
 * the company objective they support. */
static const demo_obj_def_t demo_depts[9] = {
    {"Make the product fast and reliable",
     'c',
     2,
     NULL,
     {"Median page load time|n|s|2.8|1.5", "Error budget burned per month|%|%|120|50"}},
    {"Ship the features customers ask for most",
     'c',
     0,
     NULL,
     {"Top-10 feature requests shipped|n|features|0|10",
      "Adoption of new features within 30 days|%|%|18|40"}},
    {"Turn data into decisions",
     'a',
     1,
     NULL,
     {"Teams using self-service dashboards weekly|n|teams|3|12",
      "Decisions documented with data|%|%|20|80"}},
    {"开拓华东与西部市场",
     'c',
     1,
     NULL,
     {"新市场销售额达到300万元|$|CNY|0|3000000", "新签区域合作伙伴|n|家|0|5"}},
    {"Fill the pipeline with qualified leads",
     'c',
     1,
     NULL,
     {"Qualified leads per month|n|leads|120|300", "Lead-to-opportunity conversion|%|%|8|15"}},
    {"Make Acme the brand customers recommend",
     'a',
     0,
     NULL,
     {"Share of voice in our category|%|%|12|25",
      "Customer case studies published|n|stories|2|12"}},
    {"让每位客户都成功上手",
     'c',
     0,
     NULL,
     {"新客户上线平均天数|n|天|30|14", "上线完成率达到95%|%|%|78|95"}},
    {"Resolve customer issues faster",
     'c',
     0,
     NULL,
     {"Median resolution time|n|hours|26|8", "First-contact resolution rate|%|%|52|75"}},
    {"Reduce churn among our top accounts",
     'c',
     1,
     NULL,
     {"Gross revenue churn of the top 100 accounts|%|%|9|4",
      "Top accounts with a quarterly business review|%|%|30|90"}},
};

/* clang-format on */

/* Which department objectives each company objective takes progress from
 * (linked key results), and which team objective each department objective
 * does (index team * 4 + objective, -1 none). */
static const int demo_company_links[3][2] = {{6, 7}, {3, 4}, {0, -1}};
static const int demo_dept_links[9] = {0 * 4 + 0, 1 * 4 + 0, 2 * 4 + 0, 3 * 4 + 0, 5 * 4 + 0,
                                       5 * 4 + 1, 7 * 4 + 0, 6 * 4 + 0, 7 * 4 + 2};

/* clang-format off */
/* Per team (demo_teams[4 + t]): four team objectives (parent: a department
 * objective, 0..8) and two personal ones (parent: one of the four). */
static const demo_obj_def_t demo_squads[DEMO_NSQUADS][6] = {
    { /* Platform */
        {"Cut API latency in half", 'c', 0, NULL, {
             "p95 API latency|n|ms|420|200",
             "p99 API latency|n|ms|1300|600",
             "Endpoints with latency dashboards|%|%|35|100"}},
        {"Zero-downtime deploys for every service", 'c', 0, NULL, {
             "Services on blue-green deploys|n|services|4|22",
             "Deploy-related incidents|n|incidents|5|0",
             "Deploys per week|n|deploys|12|40",
             "Rollback drill completed|b"}},
        {"Pay down the infrastructure debt", 'a', 0, NULL, {
             "Services on the current base image|%|%|40|100",
             "Open infrastructure tickets|n|tickets|180|60",
             "Cloud cost per customer|$|USD|14.5|10"}},
        {"Self-service billing for enterprise customers", 'c', 1, NULL, {
             "Self-service billing page launched|b",
             "Invoices generated without manual work|%|%|20|95",
             "Billing support tickets per week|n|tickets|45|10"}},
        {"Become the team's Kubernetes expert", 'a', 1, "alice", {
             "Kubernetes certification passed|b",
             "Internal talks given|n|talks|0|3"}},
        {"Automate the on-call runbooks", 'c', 0, "bob", {
             "Runbooks automated|n|runbooks|2|15",
             "Pages resolved without a human|%|%|5|40",
             "Mean time to acknowledge a page|n|min|12|3"}},
    },
    { /* Mobile */
        {"Ship a 5-star mobile app", 'c', 1, NULL, {
             "App Store rating|n|stars|4.1|4.7",
             "Crash-free sessions|%|%|98.6|99.9",
             "Reviews answered within a day|%|%|30|100",
             "Android rating|n|stars|3.9|4.6"}},
        {"Make the app start in under a second", 'c', 0, NULL, {
             "Cold start on a mid-range phone|n|ms|2300|1000",
             "App download size|n|MB|148|90",
             "Startup regression tests in CI|b"}},
        {"Launch offline mode", 'a', 1, NULL, {
             "Offline mode beta shipped|b",
             "Screens working offline|n|screens|0|24",
             "Beta users syncing without conflicts|%|%|0|98"}},
        {"Grow mobile daily active users", 'a', 2, NULL, {
             "Mobile daily active users|n|users|18000|30000",
             "Day-7 retention|%|%|22|35",
             "Push notification opt-in rate|%|%|41|60",
             "Referral invites sent per week|n|invites|300|1500"}},
        {"Lead the offline-mode design", 'c', 2, "carol", {
             "Design reviews held|n|reviews|0|6",
             "Sync protocol spec approved|b"}},
        {"Bring crash-free sessions to 99.9%", 'c', 0, "kenji", {
             "Top-20 crashes fixed|n|crashes|0|20",
             "ANR rate|%|%|0.8|0.2"}},
    },
    { /* Data */
        {"One source of truth for revenue metrics", 'c', 2, NULL, {
             "Revenue metrics in the semantic layer|n|metrics|6|40",
             "Reports reconciled with finance|%|%|55|100",
             "Duplicate revenue dashboards retired|n|dashboards|0|25"}},
        {"Self-service dashboards for every team", 'c', 2, NULL, {
             "Teams with their own dashboard|n|teams|3|12",
             "Ad-hoc data requests per week|n|requests|60|15",
             "Dashboard load time|n|s|9|2",
             "Analysts trained on the BI tool|n|people|4|30",
             "Dashboards with a named owner|%|%|30|100",
             "Analyst satisfaction with the BI tool|n|/10|6|8"}},
        {"Predict churn before it happens", 'a', 2, NULL, {
             "Churn model precision|%|%|0|70",
             "Accounts scored every week|%|%|0|100",
             "At-risk accounts contacted by CS|n|accounts|0|80"}},
        {"Trustworthy data pipelines", 'c', 0, NULL, {
             "Pipelines with data-quality tests|%|%|25|90",
             "Pipeline failures per week|n|failures|14|2",
             "Freshness SLA met|%|%|80|99"}},
        {"Master causal inference", 'a', 2, "lena", {
             "Courses completed|n|courses|0|2",
             "Experiments analysed with uplift models|n|experiments|0|4"}},
        {"建立数据质量监控", 'c', 3, "sunli", {
             "核心数据表监控覆盖率|%|%|10|100",
             "数据质量告警平均处理时长|n|小时|24|4"}},
    },
    { /* 华东销售 */
        {"华东区销售额提高10%", 'c', 3, NULL, {
             "华东区季度销售额|$|CNY|8000000|8800000",
             "重点行业签约客户数|n|家|12|20",
             "平均客单价|$|CNY|65000|72000"}},
        {"新增客户数量增加20%", 'c', 3, NULL, {
             "每月新增客户数|n|家|25|30",
             "有效商机数量|n|个|80|140",
             "客户拜访次数|n|次|150|260",
             "老客户转介绍数量|n|个|5|15"}},
        {"提高大客户续约率", 'c', 3, NULL, {
             "大客户续约率|%|%|82|92",
             "完成大客户季度回访|%|%|40|100",
             "续约合同提前签署比例|%|%|15|50"}},
        {"缩短销售周期", 'a', 4, NULL, {
             "平均销售周期|n|天|75|50",
             "标准报价模板上线|b",
             "合同审批平均用时|n|天|6|2"}},
        {"拿下三个行业标杆客户", 'a', 0, "lilei", {
             "签约标杆客户|n|家|0|3",
             "发布标杆客户案例|n|篇|0|2"}},
        {"提升个人成交率", 'c', 1, "hanmeimei", {
             "个人成交率|%|%|18|28",
             "每周跟进商机数|n|个|10|20",
             "客户回访满意度|n|分|4.2|4.7"}},
    },
    { /* Sales West */
        {"Open the Pacific Northwest market", 'a', 3, NULL, {
             "Customers signed in the Pacific Northwest|n|customers|0|15",
             "Pipeline in the region|$|USD|200000|1500000",
             "Local partner agreements signed|n|partners|0|3"}},
        {"Close five enterprise deals", 'c', 3, NULL, {
             "Enterprise deals closed|n|deals|0|5",
             "Enterprise pipeline coverage|n|x|1.5|3",
             "Executive sponsors engaged|n|sponsors|2|10"}},
        {"Shorten the sales cycle", 'c', 4, NULL, {
             "Median days from demo to signature|n|days|64|40",
             "Deals with a mutual action plan|%|%|10|80",
             "Legal review turnaround|n|days|9|3",
             "Proposals sent within 24 hours|%|%|40|90"}},
        {"Make every demo a great demo", 'c', 5, NULL, {
             "Demo-to-trial conversion|%|%|31|50",
             "Reps certified on the new demo|%|%|0|100",
             "Demo environment ready in|n|min|45|5"}},
        {"Build partnerships with three resellers", 'a', 0, "frank", {
             "Reseller agreements signed|n|resellers|0|3",
             "Deals sourced by resellers|n|deals|0|6"}},
        {"Grow my book of business by 30%", 'c', 1, "isabel", {
             "Book of business|$|USD|900000|1170000",
             "Expansion deals closed|n|deals|1|6"}},
    },
    { /* Marketing */
        {"Double qualified leads from content", 'c', 4, NULL, {
             "Marketing-qualified leads per month|n|leads|140|280",
             "Organic search sessions per month|n|sessions|42000|80000",
             "Gated guides published|n|guides|1|6",
             "Newsletter subscribers|n|people|9000|15000"}},
        {"Launch the Acme brand refresh", 'a', 5, NULL, {
             "New brand live on the website|b",
             "Brand awareness in the target segment|%|%|14|25",
             "Sales decks on the new brand|%|%|0|100"}},
        {"Make our events the place to be", 'a', 4, NULL, {
             "Event attendees|n|people|800|2000",
             "Pipeline sourced from events|$|USD|150000|600000",
             "Attendee satisfaction|n|/5|4.0|4.6"}},
        {"Grow the community to 10,000 members", 'a', 5, NULL, {
             "Community members|n|members|4200|10000",
             "Weekly active community members|n|members|600|1500",
             "Questions answered by the community|%|%|20|60"}},
        {"Run our first developer conference", 'a', 2, "hannah", {
             "Conference held|b",
             "Talk proposals received|n|proposals|0|120",
             "Sponsors signed|n|sponsors|0|8"}},
        {"提升社交媒体影响力", 'c', 3, "xuming", {
             "微信公众号关注人数|n|人|12000|20000",
             "短视频平均播放量|n|次|3000|10000"}},
    },
    { /* 客户支持 */
        {"缩短首次响应时间", 'c', 7, NULL, {
             "首次响应时间中位数|n|小时|8|2",
             "24小时内解决率|%|%|45|70",
             "值班排班覆盖率|%|%|70|100"}},
        {"提高客户满意度评分", 'c', 7, NULL, {
             "工单满意度评分|n|分|4.2|4.7",
             "差评工单回访率|%|%|30|100",
             "客服话术库更新完成|b",
             "客服培训完成率|%|%|50|100"}},
        {"建设自助服务知识库", 'a', 7, NULL, {
             "知识库文章数量|n|篇|120|400",
             "自助解决率|%|%|15|35",
             "文章平均评分|n|分|3.6|4.5"}},
        {"降低工单重复率", 'c', 7, NULL, {
             "重复工单占比|%|%|18|8",
             "完成根因分析|n|个|0|12",
             "产品缺陷反馈闭环率|%|%|40|90"}},
        {"成为产品专家", 'a', 1, "huangjie", {
             "通过产品认证考试|b",
             "内部培训分享|n|次|0|4"}},
        {"优化工单分类流程", 'c', 3, "linna", {
             "自动分类准确率|%|%|60|90",
             "人工转派工单比例|%|%|35|10"}},
    },
    { /* Onboarding */
        {"Every new customer live within 14 days", 'c', 6, NULL, {
             "Median days to go live|n|days|31|14",
             "Customers live within 14 days|%|%|35|80",
             "Kick-off calls within 48 hours|%|%|60|100"}},
        {"Make onboarding delightful", 'a', 6, NULL, {
             "Onboarding satisfaction|n|/5|4.1|4.7",
             "Onboarding checklist in the product|b",
             "Customers completing the checklist|%|%|0|70"}},
        {"Reduce early churn", 'c', 8, NULL, {
             "Customers churning in their first 90 days|%|%|7|3",
             "At-risk new customers with a rescue plan|%|%|20|100",
             "Health score of new accounts|n|points|62|75",
             "Executive check-ins with new accounts|n|calls|0|40"}},
        {"Scale onboarding with webinars", 'a', 6, NULL, {
             "Onboarding webinars held|n|webinars|0|12",
             "Attendance per webinar|n|people|0|40",
             "1:1 onboarding hours saved per week|n|hours|0|30"}},
        {"Build the onboarding playbook", 'c', 0, "nina", {
             "Playbook chapters written|n|chapters|0|10",
             "CSMs trained on the playbook|%|%|0|100"}},
        {"Train every new CSM in two weeks", 'c', 3, "jack", {
             "Days to a new CSM's first solo onboarding|n|days|35|14",
             "Training modules recorded|n|modules|0|8",
             "New CSM confidence score|n|/10|5|8"}},
    },
};
/* clang-format on */

/* A new objective of Sales West (demo_teams[8]) under the department's
 * first objective, its key results still to be written. */
static const demo_obj_def_t demo_draft = {
    "Explore a partner programme in Japan", 'a', 3, NULL, {NULL}};
#define DEMO_DRAFT_TEAM 8

/* Personal objectives visible to their team only. */
static const char *const demo_team_visible[] = {"成为产品专家", "Master causal inference"};

static const char *const demo_task_titles[DEMO_NSQUADS][5] = {
    {"Profile the five slowest endpoints", "Add connection pooling to the billing service",
     "Write the blue-green deploy guide", "Move the image builds to the new runners",
     "Set latency alerts for every endpoint"},
    {"Audit app startup with the profiler", "Lazy-load the settings screen",
     "Fix the top crash on Android 14", "Prototype the sync conflict resolver",
     "Reply to this week's store reviews"},
    {"Define ARR and NRR in the semantic layer", "Reconcile March revenue with finance",
     "Add freshness checks to the orders pipeline", "Label the churn training set",
     "Retire the legacy sales dashboard"},
    {"整理重点行业客户名单", "准备季度大客户回访计划", "更新标准报价模板", "拜访苏州制造业客户",
     "跟进上海金融行业商机"},
    {"Map the top 50 accounts in Seattle and Portland", "Draft the reseller agreement",
     "Build the mutual action plan template", "Record the new demo script",
     "Prepare the enterprise pricing one-pager"},
    {"Write the guide to OKR check-ins", "Brief the design agency on the brand refresh",
     "Book the venue for the developer conference", "Plan the community AMA series",
     "Set up the newsletter A/B test"},
    {"梳理高频问题清单", "编写知识库文章:账号与权限", "优化夜间值班排班", "回访本周差评工单",
     "完成工单自动分类规则评审"},
    {"Record the first onboarding webinar", "Add the checklist to the product",
     "Write the rescue-plan template", "Review go-live blockers with engineering",
     "Interview five customers who churned early"},
};

static const char *const demo_notes_en[] = {
    "On plan this week.",
    "Blocked on the vendor API; escalated.",
    "Two big wins this week!",
    "Slower than hoped: half the team was out.",
    "The new process is starting to pay off.",
    "Need help from the Platform team here.",
    "This week's numbers are preliminary.",
    "Back on track after a slow start.",
    "Scope cut agreed with the stakeholders.",
    "Steady progress, no surprises.",
};

static const char *const demo_notes_zh[] = {
    "本周进展顺利",   "客户反馈积极",       "遇到资源瓶颈,需要支持", "比计划稍慢,下周追赶",
    "新流程效果明显", "本周完成关键里程碑", "数据口径已与财务对齐",
};

static const char *const demo_comments_en[] = {
    "Great progress — what changed this week?",
    "Can we review this in Thursday's OKR meeting?",
    "Is the target still realistic with the hiring freeze?",
    "The dashboard for this is linked in the wiki; numbers look solid.",
    "Let's pair with the Data team on how we measure this.",
    "I'd love a short write-up of what worked here.",
    "This one matters most for the quarter — shout if you need help.",
    "Should we split this into two key results?",
    "Nice trend. Let's make sure the gains stick.",
    "Who else needs to be involved to hit this?",
};

static const char *const demo_comments_zh[] = {
    "进展很好,继续保持!",    "这个目标需要跨团队支持吗?", "建议在周会上同步一下数据口径",
    "下周能否分享一下经验?", "目标有点激进,但值得挑战",   "这个关键结果和公司目标高度相关,辛苦了",
};

static const char *const demo_kudos_en[] = {
    "Thank you for going above and beyond this week!",   "Huge win — the whole team noticed.",
    "Brilliant work, this really moved the needle.",     "Thanks for unblocking us so quickly!",
    "Great example of what a good check-in looks like.",
};

static const char *const demo_kudos_zh[] = {
    "干得漂亮!",
    "感谢你的付出,团队因你更强",
    "这周的突破太关键了,谢谢!",
};

#define DEMO_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- state */

typedef struct demo_obj {
    const demo_obj_def_t *def;
    int level; /* 0 company, 1 department, 2 team, 3 person */
    int team;  /* the team it belongs to (index in demo_teams) */
    int owner; /* a person's objective: index in demo_users, else -1 */
    int parent;
    uint64_t id;
} demo_obj_t;

typedef struct demo_kr {
    int obj;
    char title[256];
    Okr__Metric metric;
    char unit[32];
    double start, target, weight;
    int linked; /* index of the objective it takes progress from, or -1 */
    int owner;  /* index in demo_users */
    uint64_t id;
    /* the check-in plan */
    int fate; /* 0 on track, 1 at risk, 2 off track */
    double final;
    double shape;
    int done_week; /* yes/no: the week it is done, 0 never */
    int last_week; /* the last week checked in: before the cycle's last, it went stale */
    double last_progress;
} demo_kr_t;

typedef struct demo_cycle {
    char name[32];
    int64_t start, end;
    double pace; /* expected progress at the last check-in */
    int weeks;
    int64_t every; /* between two check-ins of a key result, in ms */
    uint64_t id, version;
    demo_obj_t objs[DEMO_MAX_OBJS];
    size_t nobjs;
    demo_kr_t krs[DEMO_MAX_KRS];
    size_t nkrs, nlinked, checkins;
    unsigned scored;
    int closed;
} demo_cycle_t;

typedef struct demo demo_t;
typedef void (*demo_done_fn)(demo_t *d, void *arg, const Okr__Response *resp);

typedef struct demo_pending {
    okr_client_t *client;
    uint64_t id;
    demo_done_fn done;
    void *arg;
    int tolerate_conflict;
    char what[200];
} demo_pending_t;

struct demo {
    okr_cli_t *cli;
    uint64_t rng;
    int64_t t0;
    int progress; /* print a line per phase */
    int dated;    /* the server dates check-ins (protocol 1.3) */
    int started;  /* writes began: a failure leaves a partial demo */

    demo_pending_t pending[DEMO_BATCH];
    size_t npending;
    int err; /* first error (okr_err_t), 0 if none */
    char errmsg[1024];

    uint64_t team_ids[DEMO_NTEAMS];
    uint64_t user_ids[DEMO_NUSERS];
    okr_client_t *conns[DEMO_NUSERS]; /* NULL: the admin acts for them */
    size_t teams_created, users_created, memberships, logins;

    demo_cycle_t cycles[2]; /* 0 closed, 1 active */
    size_t tasks, tasks_done, tasks_doing, comments, kudos;

    /* emptiness check */
    char nonempty_cycle[128];
};

/* ---------------------------------------------------------------- small helpers */

static uint64_t demo__next(demo_t *d) /* splitmix64 */
{
    uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double demo__uniform(demo_t *d, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(demo__next(d) >> 11) / 9007199254740992.0);
}

static size_t demo__pick(demo_t *d, size_t n)
{
    return n ? (size_t)(demo__next(d) % n) : 0;
}

static int64_t demo__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Local midnight of the day of ms. */
static int64_t demo__midnight(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

/* "2026-Q2" for the quarter of ms. */
static void demo__quarter(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(buf, len, "%d-Q%d", tm.tm_year + 1900, tm.tm_mon / 3 + 1);
}

static int demo__has_cjk(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

static int demo__user(const char *username)
{
    for (int i = 0; i < DEMO_NUSERS; i++)
        if (strcmp(demo_users[i].username, username) == 0)
            return i;
    return 0;
}

static int demo__lead_of(int team)
{
    for (int i = 0; i < DEMO_NUSERS; i++)
        if (demo_users[i].team == team && demo_users[i].lead)
            return i;
    return 0;
}

/* The n-th person of a team (leads included), cycling. */
static int demo__member_of(int team, size_t n)
{
    int members[DEMO_NUSERS], count = 0;
    for (int i = 0; i < DEMO_NUSERS; i++)
        if (demo_users[i].team == team)
            members[count++] = i;
    return count ? members[n % (size_t)count] : 0;
}

/* The connection a person acts on. */
static okr_client_t *demo__as(demo_t *d, int user)
{
    return user >= 0 && d->conns[user] ? d->conns[user] : d->cli->client;
}

static void demo__fail(demo_t *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void demo__fail(demo_t *d, int err, const char *fmt, ...)
{
    if (d->err)
        return;
    d->err = err ? err : OKR_E_INTERNAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->errmsg, sizeof d->errmsg, fmt, ap);
    va_end(ap);
}

static void demo__phase(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void demo__phase(demo_t *d, const char *fmt, ...)
{
    if (!d->progress)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* ---------------------------------------------------------------- pipelining */

/* Waits for every request in flight, in order, and hands each answer to its
 * callback. An error is remembered (the first one wins) and the rest are
 * still drained, so the connection stays in step. */
static int demo__flush(demo_t *d)
{
    for (size_t i = 0; i < d->npending; i++) {
        demo_pending_t *p = &d->pending[i];
        Okr__Response *resp;
        int rc = okr_client_wait(p->client, p->id, &resp);
        if (rc) {
            demo__fail(d, rc, "%s: %s", p->what, okr_client_error(p->client));
            continue;
        }
        int ok = resp->status == OKR__STATUS__STATUS_OK ||
                 (p->tolerate_conflict && resp->status == OKR__STATUS__STATUS_CONFLICT);
        if (!ok) {
            int err = okr_status_to_err(resp->status);
            demo__fail(d, err, "%s: %s", p->what,
                       resp->message && resp->message[0] ? resp->message : okr_strerror(err));
        } else if (!d->err && p->done) {
            p->done(d, p->arg, resp);
        }
        okr__response__free_unpacked(resp, NULL);
    }
    d->npending = 0;
    return d->err;
}

static int demo__send(demo_t *d, okr_client_t *c, Okr__Request *req, demo_done_fn done, void *arg,
                      int tolerate_conflict, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static int demo__send(demo_t *d, okr_client_t *c, Okr__Request *req, demo_done_fn done, void *arg,
                      int tolerate_conflict, const char *fmt, ...)
{
    if (d->err)
        return d->err;
    if (d->npending == DEMO_BATCH && demo__flush(d) != 0)
        return d->err;
    demo_pending_t *p = &d->pending[d->npending];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->what, sizeof p->what, fmt, ap);
    va_end(ap);
    int rc = okr_client_send(c, req, &p->id);
    if (rc) {
        demo__fail(d, rc, "%s: %s", p->what, okr_client_error(c));
        return d->err;
    }
    p->client = c;
    p->done = done;
    p->arg = arg;
    p->tolerate_conflict = tolerate_conflict;
    d->npending++;
    return 0;
}

/* One blocking call on the admin's connection; *resp is OK and of kind expect. */
static int demo__call(demo_t *d, Okr__Request *req, Okr__Response__ResultCase expect,
                      Okr__Response **resp, const char *what)
{
    if (d->err)
        return d->err;
    int rc = okr_client_call(d->cli->client, req, resp);
    if (rc) {
        demo__fail(d, rc, "%s: %s", what, okr_client_error(d->cli->client));
        return d->err;
    }
    if ((*resp)->status != OKR__STATUS__STATUS_OK || (*resp)->result_case != expect) {
        int err = (*resp)->status == OKR__STATUS__STATUS_OK ? OKR_E_PROTOCOL
                                                            : okr_status_to_err((*resp)->status);
        demo__fail(d, err, "%s: %s", what,
                   (*resp)->message && (*resp)->message[0] ? (*resp)->message : okr_strerror(err));
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return d->err;
    }
    return 0;
}

/* ---------------------------------------------------------------- is the server empty? */

static void on_objective_probe(demo_t *d, void *arg, const Okr__Response *resp)
{
    const char *name = arg;
    if (resp->result_case == OKR__RESPONSE__RESULT_OBJECTIVE_LIST && resp->objective_list &&
        resp->objective_list->n_objectives > 0 && !d->nonempty_cycle[0])
        snprintf(d->nonempty_cycle, sizeof d->nonempty_cycle, "%s", name);
}

/* Sets d->nonempty_cycle to the name of a cycle that has objectives. */
static int demo__check_empty(demo_t *d)
{
    Okr__Response *pages[DEMO_MAX_CYCLES / 16];
    size_t npages = 0;
    uint64_t after = 0;
    for (;;) {
        Okr__Page page = OKR__PAGE__INIT;
        page.after_id = after;
        page.limit = 500;
        Okr__CycleListRequest lr = OKR__CYCLE_LIST_REQUEST__INIT;
        lr.page = &page;
        lr.include_closed = 1;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_CYCLE_LIST;
        req.cycle_list = &lr;
        Okr__Response *resp;
        if (demo__call(d, &req, OKR__RESPONSE__RESULT_CYCLE_LIST, &resp, "listing the cycles"))
            break;
        pages[npages++] = resp;
        const Okr__CycleList *cl = resp->cycle_list;
        for (size_t i = 0; cl && i < cl->n_cycles; i++) {
            Okr__Page one = OKR__PAGE__INIT;
            one.limit = 1;
            Okr__ObjectiveListRequest ol = OKR__OBJECTIVE_LIST_REQUEST__INIT;
            ol.cycle_id = cl->cycles[i]->id;
            ol.roots_only = 1;
            ol.include_archived = 1;
            ol.page = &one;
            Okr__Request oreq = OKR__REQUEST__INIT;
            oreq.op_case = OKR__REQUEST__OP_OBJECTIVE_LIST;
            oreq.objective_list = &ol;
            demo__send(d, d->cli->client, &oreq, on_objective_probe, cl->cycles[i]->name, 0,
                       "looking for objectives in cycle %s", cl->cycles[i]->name);
        }
        /* the names in pages[] must live until the answers are in */
        demo__flush(d);
        if (!cl || cl->next_after_id == 0 || cl->next_after_id <= after ||
            npages == DEMO_COUNT(pages))
            break;
        after = cl->next_after_id;
    }
    for (size_t i = 0; i < npages; i++)
        okr__response__free_unpacked(pages[i], NULL);
    return d->err;
}

/* ---------------------------------------------------------------- teams and users */

static void on_team(demo_t *d, void *arg, const Okr__Response *resp)
{
    int t = (int)(intptr_t)arg;
    if (resp->status == OKR__STATUS__STATUS_CONFLICT) { /* it exists: use it */
        Okr__TeamGetRequest get = OKR__TEAM_GET_REQUEST__INIT;
        get.name = (char *)demo_teams[t].name;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_TEAM_GET;
        req.team_get = &get;
        Okr__Response *got;
        if (demo__call(d, &req, OKR__RESPONSE__RESULT_TEAM, &got, "looking up an existing team"))
            return;
        d->team_ids[t] = got->team ? got->team->id : 0;
        okr__response__free_unpacked(got, NULL);
        return;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_TEAM || !resp->team) {
        demo__fail(d, OKR_E_PROTOCOL, "creating team %s: the server sent no team",
                   demo_teams[t].name);
        return;
    }
    d->team_ids[t] = resp->team->id;
    d->teams_created++;
}

static int demo__teams(demo_t *d)
{
    /* parents first: the company, the departments, then the teams */
    for (int level = 0; level < 3; level++) {
        for (int t = 0; t < DEMO_NTEAMS; t++) {
            int depth = demo_teams[t].parent < 0 ? 0 : demo_teams[t].parent == 0 ? 1 : 2;
            if (depth != level)
                continue;
            Okr__TeamCreateRequest tc = OKR__TEAM_CREATE_REQUEST__INIT;
            tc.name = (char *)demo_teams[t].name;
            tc.description = (char *)demo_teams[t].description;
            tc.parent_id = demo_teams[t].parent < 0 ? 0 : d->team_ids[demo_teams[t].parent];
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_TEAM_CREATE;
            req.team_create = &tc;
            demo__send(d, d->cli->client, &req, on_team, (void *)(intptr_t)t, 1, "creating team %s",
                       demo_teams[t].name);
        }
        if (demo__flush(d))
            return d->err;
    }
    demo__phase(d, "  teams      %d (1 company, %d departments, %d teams)%s\n", DEMO_NTEAMS,
                DEMO_NDEPTS, DEMO_NSQUADS,
                d->teams_created < DEMO_NTEAMS ? ", some already there" : "");
    return 0;
}

static void on_user(demo_t *d, void *arg, const Okr__Response *resp)
{
    int u = (int)(intptr_t)arg;
    if (resp->status == OKR__STATUS__STATUS_CONFLICT) {
        Okr__UserGetRequest get = OKR__USER_GET_REQUEST__INIT;
        get.username = (char *)demo_users[u].username;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_USER_GET;
        req.user_get = &get;
        Okr__Response *got;
        if (demo__call(d, &req, OKR__RESPONSE__RESULT_USER, &got, "looking up an existing user"))
            return;
        d->user_ids[u] = got->user ? got->user->id : 0;
        okr__response__free_unpacked(got, NULL);
        return;
    }
    if (resp->result_case != OKR__RESPONSE__RESULT_USER || !resp->user) {
        demo__fail(d, OKR_E_PROTOCOL, "creating user %s: the server sent no user",
                   demo_users[u].username);
        return;
    }
    d->user_ids[u] = resp->user->id;
    d->users_created++;
}

static void on_member(demo_t *d, void *arg, const Okr__Response *resp)
{
    (void)arg;
    (void)resp;
    d->memberships++;
}

static void demo__add_member(demo_t *d, int team, int user, Okr__TeamRole role)
{
    Okr__TeamSetMemberRequest sm = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    sm.team_id = d->team_ids[team];
    sm.user_id = d->user_ids[user];
    sm.role = role;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_SET_MEMBER;
    req.team_set_member = &sm;
    demo__send(d, d->cli->client, &req, on_member, NULL, 0, "adding %s to team %s",
               demo_users[user].username, demo_teams[team].name);
}

static int demo__users(demo_t *d)
{
    for (int u = 0; u < DEMO_NUSERS; u++) {
        char password[64];
        snprintf(password, sizeof password, DEMO_PASSWORD_PFX "%s", demo_users[u].username);
        Okr__UserCreateRequest uc = OKR__USER_CREATE_REQUEST__INIT;
        uc.username = (char *)demo_users[u].username;
        uc.display_name = (char *)demo_users[u].name;
        uc.password = password;
        uc.role = OKR__ROLE__ROLE_MEMBER;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_USER_CREATE;
        req.user_create = &uc;
        demo__send(d, d->cli->client, &req, on_user, (void *)(intptr_t)u, 1, "creating user %s",
                   demo_users[u].username);
    }
    if (demo__flush(d))
        return d->err;
    for (int u = 0; u < DEMO_NUSERS; u++) {
        const demo_user_def_t *ud = &demo_users[u];
        demo__add_member(d, ud->team, u,
                         ud->lead ? OKR__TEAM_ROLE__TEAM_ROLE_LEAD
                                  : OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
        /* leads also sit in the team above: heads in the company, team
         * leads in their department */
        if (ud->lead && demo_teams[ud->team].parent >= 0)
            demo__add_member(d, demo_teams[ud->team].parent, u, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    }
    if (demo__flush(d))
        return d->err;
    demo__phase(
        d,
        "  users      %d in %zu team memberships%s; each one's password is " DEMO_PASSWORD_PFX
        "USERNAME (alice: " DEMO_PASSWORD_PFX "alice)\n",
        DEMO_NUSERS, d->memberships, d->users_created < DEMO_NUSERS ? " (some already there)" : "");
    return 0;
}

/* Logs every demo user in on a connection of their own, the logins
 * pipelined across the connections. A user who cannot log in (an existing
 * account with another password) is acted for by the admin. */
static int demo__logins(demo_t *d)
{
    okr_cli_t *cli = d->cli;
    okr_client_opts_t opts = {
        .host = cli->host,
        .port = cli->port,
        .ca_file = cli->ca_file,
        .trust_new = cli->trust_new,
        .timeout_ms = cli->timeout_ms,
        .client_name = "okr demo",
    };
    uint64_t ids[DEMO_NUSERS];
    for (int u = 0; u < DEMO_NUSERS; u++) {
        char err[512];
        if (okr_client_connect(&d->conns[u], &opts, err, sizeof err) != 0) {
            d->conns[u] = NULL;
            continue;
        }
        char password[64];
        snprintf(password, sizeof password, DEMO_PASSWORD_PFX "%s", demo_users[u].username);
        Okr__LoginRequest lr = OKR__LOGIN_REQUEST__INIT;
        lr.username = (char *)demo_users[u].username;
        lr.password = password;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_LOGIN;
        req.login = &lr;
        if (okr_client_send(d->conns[u], &req, &ids[u]) != 0) {
            okr_client_free(d->conns[u]);
            d->conns[u] = NULL;
        }
    }
    for (int u = 0; u < DEMO_NUSERS; u++) {
        if (!d->conns[u])
            continue;
        Okr__Response *resp;
        int ok = okr_client_wait(d->conns[u], ids[u], &resp) == 0;
        if (ok) {
            ok = resp->status == OKR__STATUS__STATUS_OK;
            okr__response__free_unpacked(resp, NULL);
        }
        if (!ok) {
            okr_client_free(d->conns[u]);
            d->conns[u] = NULL;
            continue;
        }
        d->logins++;
    }
    if (d->logins < DEMO_NUSERS)
        demo__phase(d,
                    "  logins     %zu of %d demo users logged in; the admin writes for the "
                    "others\n",
                    d->logins, DEMO_NUSERS);
    else
        demo__phase(d, "  logins     all %d demo users logged in to write their own check-ins\n",
                    DEMO_NUSERS);
    return 0;
}

static void demo__logouts(demo_t *d)
{
    uint64_t ids[DEMO_NUSERS];
    int sent[DEMO_NUSERS] = {0};
    for (int u = 0; u < DEMO_NUSERS; u++) {
        if (!d->conns[u])
            continue;
        Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_LOGOUT;
        req.logout = &lo;
        sent[u] = okr_client_send(d->conns[u], &req, &ids[u]) == 0;
    }
    for (int u = 0; u < DEMO_NUSERS; u++) {
        Okr__Response *resp;
        if (sent[u] && okr_client_wait(d->conns[u], ids[u], &resp) == 0)
            okr__response__free_unpacked(resp, NULL);
        okr_client_free(d->conns[u]);
        d->conns[u] = NULL;
    }
}

/* ---------------------------------------------------------------- planning a cycle */

static int demo__add_obj(demo_cycle_t *c, const demo_obj_def_t *def, int level, int team, int owner,
                         int parent)
{
    if (c->nobjs == DEMO_MAX_OBJS)
        return -1;
    demo_obj_t *o = &c->objs[c->nobjs];
    o->def = def;
    o->level = level;
    o->team = team;
    o->owner = owner;
    o->parent = parent;
    o->id = 0;
    return (int)c->nobjs++;
}

/* Parses "title|metric|unit|start|target" into kr. */
static void demo__parse_kr(const char *spec, demo_kr_t *kr)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *fields[5] = {buf, "n", "", "0", "1"};
    char *p = buf;
    for (int i = 1; i < 5; i++) {
        p = p ? strchr(p, '|') : NULL;
        if (!p)
            break;
        *p++ = '\0';
        fields[i] = p;
    }
    /* Titles here are ours and short; the precision keeps the copy bounded. */
    snprintf(kr->title, sizeof kr->title, "%.*s", (int)sizeof kr->title - 1, fields[0]);
    snprintf(kr->unit, sizeof kr->unit, "%s", fields[2]);
    switch (fields[1][0]) {
    case '%':
        kr->metric = OKR__METRIC__METRIC_PERCENT;
        break;
    case '$':
        kr->metric = OKR__METRIC__METRIC_CURRENCY;
        break;
    case 'b':
        kr->metric = OKR__METRIC__METRIC_BOOLEAN;
        break;
    default:
        kr->metric = OKR__METRIC__METRIC_NUMBER;
        break;
    }
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN) {
        kr->start = 0;
        kr->target = 1;
        kr->unit[0] = '\0';
    } else {
        kr->start = strtod(fields[3], NULL);
        kr->target = strtod(fields[4], NULL);
    }
}

/* How the key result's check-ins will go. The key results of an objective
 * share its mood — on track (0), at risk (1) or off track (2): the first one
 * has it, the others have it or do better. (The server rates an objective by
 * its least confident key result, so independent fates would make nearly
 * every objective look at risk.) */
static void demo__fate(demo_t *d, demo_cycle_t *c, demo_kr_t *kr, int mood, int first)
{
    kr->fate = first ? mood : (int)demo__pick(d, (size_t)mood + 1);
    static const double lo[3] = {0.95, 0.68, 0.30}, hi[3] = {1.35, 0.84, 0.58};
    kr->final = c->pace * demo__uniform(d, lo[kr->fate], hi[kr->fate]);
    if (kr->final > 1)
        kr->final = 1;
    kr->shape = demo__uniform(d, 0.75, 1.4);
    kr->done_week = 0;
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN && kr->fate == 0 && demo__uniform(d, 0, 1) < 0.6)
        kr->done_week = c->weeks - (int)demo__pick(d, 3);
    kr->last_week = c->weeks;
    /* In the active cycle, half the key results of objectives off track and
     * a few at risk went quiet: the coach and okr mine call them stale. */
    if (!c->closed && kr->fate > 0 && demo__uniform(d, 0, 1) < (kr->fate == 2 ? 0.5 : 0.15))
        kr->last_week = c->weeks - 2 - (int)demo__pick(d, 2);
    kr->last_progress = 0;
}

static demo_kr_t *demo__new_kr(demo_cycle_t *c, int obj, int owner)
{
    if (c->nkrs == DEMO_MAX_KRS)
        return NULL;
    demo_kr_t *kr = &c->krs[c->nkrs++];
    memset(kr, 0, sizeof *kr);
    kr->obj = obj;
    kr->owner = owner;
    kr->linked = -1;
    kr->weight = 1;
    return kr;
}

static void demo__add_linked_kr(demo_cycle_t *c, int obj, int child, int owner)
{
    demo_kr_t *kr = demo__new_kr(c, obj, owner);
    if (!kr)
        return;
    const char *title = c->objs[child].def->title;
    if (demo__has_cjk(title))
        snprintf(kr->title, sizeof kr->title, "达成“%s”", title);
    else
        snprintf(kr->title, sizeof kr->title, "Deliver “%s”", title);
    kr->metric = OKR__METRIC__METRIC_PERCENT;
    snprintf(kr->unit, sizeof kr->unit, "%%");
    kr->start = 0;
    kr->target = 100;
    kr->linked = child;
    c->nlinked++;
}

/* The key results of objective i: its own, then links to the children it
 * depends on. */
static void demo__plan_krs(demo_t *d, demo_cycle_t *c, int i, const int *dept_idx,
                           const int (*squad_idx)[6], size_t *rotation)
{
    demo_obj_t *o = &c->objs[i];
    double r = demo__uniform(d, 0, 1);
    int mood = r < 0.6 ? 0 : r < 0.87 ? 1 : 2;
    for (int k = 0; k < DEMO_MAX_KR_DEFS && o->def->krs[k]; k++) {
        int owner = o->owner >= 0   ? o->owner
                    : o->level <= 1 ? demo__lead_of(o->team)
                                    : demo__member_of(o->team, (*rotation)++);
        demo_kr_t *kr = demo__new_kr(c, i, owner);
        if (!kr)
            return;
        demo__parse_kr(o->def->krs[k], kr);
        if (k == 0 && demo__uniform(d, 0, 1) < 0.3)
            kr->weight = 2; /* the key result that matters most */
        demo__fate(d, c, kr, mood, k == 0);
    }
    int owner = o->owner >= 0 ? o->owner : demo__lead_of(o->team);
    if (o->level == 0) {
        int ci = (int)(o->def - demo_company);
        for (int l = 0; l < 2; l++)
            if (demo_company_links[ci][l] >= 0 && dept_idx[demo_company_links[ci][l]] >= 0)
                demo__add_linked_kr(c, i, dept_idx[demo_company_links[ci][l]], owner);
    } else if (o->level == 1) {
        int di = (int)(o->def - demo_depts);
        int link = demo_dept_links[di];
        if (link >= 0 && squad_idx[link / 4][link % 4] >= 0)
            demo__add_linked_kr(c, i, squad_idx[link / 4][link % 4], owner);
    } else if (o->level == 2) {
        for (size_t j = 0; j < c->nobjs; j++)
            if (c->objs[j].level == 3 && c->objs[j].parent == i)
                demo__add_linked_kr(c, i, (int)j, owner);
    }
}

/* The objectives and key results of a cycle: all of them for the active
 * cycle; for the closed one the company's, the departments' and each team's
 * first objective. */
static void demo__plan(demo_t *d, demo_cycle_t *c, int full)
{
    int company_idx[3], dept_idx[9], squad_idx[DEMO_NSQUADS][6];
    memset(squad_idx, 0xff, sizeof squad_idx); /* -1 */
    for (int i = 0; i < 3; i++)
        company_idx[i] = demo__add_obj(c, &demo_company[i], 0, 0, -1, -1);
    for (int i = 0; i < 9; i++)
        dept_idx[i] =
            demo__add_obj(c, &demo_depts[i], 1, 1 + i / 3, -1, company_idx[demo_depts[i].parent]);
    for (int t = 0; t < DEMO_NSQUADS; t++)
        for (int i = 0; i < (full ? 4 : 1); i++)
            squad_idx[t][i] = demo__add_obj(c, &demo_squads[t][i], 2, 4 + t, -1,
                                            dept_idx[demo_squads[t][i].parent]);
    if (full)
        for (int t = 0; t < DEMO_NSQUADS; t++)
            for (int i = 4; i < 6; i++)
                squad_idx[t][i] = demo__add_obj(c, &demo_squads[t][i], 3, 4 + t,
                                                demo__user(demo_squads[t][i].owner),
                                                squad_idx[t][demo_squads[t][i].parent]);
    if (full)
        demo__add_obj(c, &demo_draft, 2, DEMO_DRAFT_TEAM, -1, dept_idx[demo_draft.parent]);
    size_t rotation = 0;
    for (size_t i = 0; i < c->nobjs; i++)
        demo__plan_krs(d, c, (int)i, dept_idx, (const int(*)[6])squad_idx, &rotation);
}

/* ---------------------------------------------------------------- cycles */

static void demo__cycle_dates(demo_t *d, int64_t now)
{
    demo_cycle_t *active = &d->cycles[1], *closed = &d->cycles[0];
    active->start = demo__midnight(now - DEMO_ELAPSED_DAYS * DEMO_DAY_MS);
    active->end =
        demo__midnight(active->start + DEMO_CYCLE_DAYS * DEMO_DAY_MS + DEMO_DAY_MS / 2) - 1;
    closed->end = active->start - 1;
    closed->start = demo__midnight(active->start - DEMO_CYCLE_DAYS * DEMO_DAY_MS + DEMO_DAY_MS / 2);
    demo__quarter(active->start + (active->end - active->start) / 2, active->name,
                  sizeof active->name);
    demo__quarter(closed->start + (closed->end - closed->start) / 2, closed->name,
                  sizeof closed->name);
    if (strcmp(active->name, closed->name) == 0)
        demo__quarter(closed->start, closed->name, sizeof closed->name);
    active->weeks = DEMO_WEEKS;
    closed->weeks = DEMO_CLOSED_WEEKS;
    active->every = 7 * DEMO_DAY_MS;
    closed->every = (closed->end - closed->start) / closed->weeks;
    active->pace = (double)(now - active->start) / (double)(active->end - active->start);
    closed->pace = 1.0;
    closed->closed = 1;
}

/* Creates the cycle (or takes the one of that name, if it is not closed)
 * and makes it active. */
static int demo__open_cycle(demo_t *d, demo_cycle_t *c)
{
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = c->name;
    cc.start_at = c->start;
    cc.end_at = c->end;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_CREATE;
    req.cycle_create = &cc;
    Okr__Response *resp;
    if (okr_client_call(d->cli->client, &req, &resp) != 0) {
        demo__fail(d, OKR_E_CLOSED, "creating cycle %s: %s", c->name,
                   okr_client_error(d->cli->client));
        return d->err;
    }
    if (resp->status == OKR__STATUS__STATUS_CONFLICT) {
        okr__response__free_unpacked(resp, NULL);
        Okr__CycleGetRequest get = OKR__CYCLE_GET_REQUEST__INIT;
        get.name = c->name;
        Okr__Request greq = OKR__REQUEST__INIT;
        greq.op_case = OKR__REQUEST__OP_CYCLE_GET;
        greq.cycle_get = &get;
        if (demo__call(d, &greq, OKR__RESPONSE__RESULT_CYCLE, &resp, "looking up a cycle"))
            return d->err;
    } else if (resp->status != OKR__STATUS__STATUS_OK ||
               resp->result_case != OKR__RESPONSE__RESULT_CYCLE || !resp->cycle) {
        int err = resp->status == OKR__STATUS__STATUS_OK ? OKR_E_PROTOCOL
                                                         : okr_status_to_err(resp->status);
        demo__fail(d, err, "creating cycle %s: %s", c->name,
                   resp->message && resp->message[0] ? resp->message : okr_strerror(err));
        okr__response__free_unpacked(resp, NULL);
        return d->err;
    }
    const Okr__Cycle *got = resp->cycle;
    c->id = got->id;
    c->version = got->version;
    Okr__CycleState state = got->state;
    if (state == OKR__CYCLE_STATE__CYCLE_STATE_CLOSED) {
        okr__response__free_unpacked(resp, NULL);
        demo__fail(d, OKR_E_CONFLICT, "a cycle named %s exists and is closed", c->name);
        return d->err;
    }
    if (state != OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE) {
        Okr__Cycle up = *got;
        up.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
        Okr__CycleUpdateRequest cu = OKR__CYCLE_UPDATE_REQUEST__INIT;
        cu.cycle = &up;
        Okr__Request ureq = OKR__REQUEST__INIT;
        ureq.op_case = OKR__REQUEST__OP_CYCLE_UPDATE;
        ureq.cycle_update = &cu;
        Okr__Response *uresp;
        char what[96];
        snprintf(what, sizeof what, "starting cycle %s", c->name);
        if (demo__call(d, &ureq, OKR__RESPONSE__RESULT_CYCLE, &uresp, what) == 0) {
            c->version = uresp->cycle ? uresp->cycle->version : c->version;
            okr__response__free_unpacked(uresp, NULL);
        }
    }
    okr__response__free_unpacked(resp, NULL);
    return d->err;
}

static int demo__close_cycle(demo_t *d, demo_cycle_t *c)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        Okr__CycleCloseRequest cc = OKR__CYCLE_CLOSE_REQUEST__INIT;
        cc.id = c->id;
        cc.version = c->version;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_CYCLE_CLOSE;
        req.cycle_close = &cc;
        Okr__Response *resp;
        if (okr_client_call(d->cli->client, &req, &resp) != 0) {
            demo__fail(d, OKR_E_CLOSED, "closing cycle %s: %s", c->name,
                       okr_client_error(d->cli->client));
            return d->err;
        }
        if (resp->status == OKR__STATUS__STATUS_OK && resp->cycle_close) {
            c->scored = resp->cycle_close->objectives_scored;
            okr__response__free_unpacked(resp, NULL);
            return 0;
        }
        if (resp->status == OKR__STATUS__STATUS_CONFLICT && attempt == 0) {
            /* the cycle's version moved (objectives added): read it again */
            okr__response__free_unpacked(resp, NULL);
            Okr__CycleGetRequest get = OKR__CYCLE_GET_REQUEST__INIT;
            get.id = c->id;
            Okr__Request greq = OKR__REQUEST__INIT;
            greq.op_case = OKR__REQUEST__OP_CYCLE_GET;
            greq.cycle_get = &get;
            Okr__Response *got;
            if (demo__call(d, &greq, OKR__RESPONSE__RESULT_CYCLE, &got, "reading a cycle"))
                return d->err;
            c->version = got->cycle ? got->cycle->version : c->version;
            okr__response__free_unpacked(got, NULL);
            continue;
        }
        int err = okr_status_to_err(resp->status);
        demo__fail(d, err ? err : OKR_E_PROTOCOL, "closing cycle %s: %s", c->name,
                   resp->message && resp->message[0] ? resp->message : okr_strerror(err));
        okr__response__free_unpacked(resp, NULL);
        return d->err;
    }
    return d->err;
}

/* ---------------------------------------------------------------- objectives and key results */

static void on_objective(demo_t *d, void *arg, const Okr__Response *resp)
{
    demo_obj_t *o = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_OBJECTIVE || !resp->objective) {
        demo__fail(d, OKR_E_PROTOCOL, "creating objective “%s”: the server sent no objective",
                   o->def->title);
        return;
    }
    o->id = resp->objective->id;
}

static int demo__team_visible(const char *title)
{
    for (size_t i = 0; i < DEMO_COUNT(demo_team_visible); i++)
        if (strcmp(title, demo_team_visible[i]) == 0)
            return 1;
    return 0;
}

static int demo__objectives(demo_t *d, demo_cycle_t *c)
{
    for (int level = 0; level < 4; level++) { /* parents before children */
        for (size_t i = 0; i < c->nobjs; i++) {
            demo_obj_t *o = &c->objs[i];
            if (o->level != level)
                continue;
            Okr__Objective obj = OKR__OBJECTIVE__INIT;
            obj.title = (char *)o->def->title;
            obj.cycle_id = c->id;
            obj.team_id = d->team_ids[o->team];
            if (o->owner >= 0)
                obj.owner_user_id = d->user_ids[o->owner];
            else
                obj.owner_team_id = d->team_ids[o->team];
            obj.parent_id = o->parent >= 0 ? c->objs[o->parent].id : 0;
            obj.kind = o->def->kind == 'a' ? OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL
                                           : OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
            obj.visibility = demo__team_visible(o->def->title) ? OKR__VISIBILITY__VISIBILITY_TEAM
                                                               : OKR__VISIBILITY__VISIBILITY_PUBLIC;
            obj.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
            Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
            oc.objective = &obj;
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
            req.objective_create = &oc;
            demo__send(d, d->cli->client, &req, on_objective, o, 0, "creating objective “%s”",
                       o->def->title);
        }
        if (demo__flush(d))
            return d->err;
    }
    return 0;
}

static void on_key_result(demo_t *d, void *arg, const Okr__Response *resp)
{
    demo_kr_t *kr = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_KEY_RESULT || !resp->key_result) {
        demo__fail(d, OKR_E_PROTOCOL, "creating key result “%s”: the server sent no key result",
                   kr->title);
        return;
    }
    kr->id = resp->key_result->id;
}

static int demo__key_results(demo_t *d, demo_cycle_t *c)
{
    for (size_t i = 0; i < c->nkrs; i++) {
        demo_kr_t *kr = &c->krs[i];
        Okr__KeyResult k = OKR__KEY_RESULT__INIT;
        k.objective_id = c->objs[kr->obj].id;
        k.title = kr->title;
        k.metric = kr->metric;
        k.unit = kr->unit;
        k.start = kr->start;
        k.target = kr->target;
        k.current = kr->start;
        k.weight = kr->weight;
        k.owner_user_id = d->user_ids[kr->owner];
        k.linked_objective_id = kr->linked >= 0 ? c->objs[kr->linked].id : 0;
        Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
        kc.key_result = &k;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
        req.key_result_create = &kc;
        demo__send(d, d->cli->client, &req, on_key_result, kr, 0, "creating key result “%s”",
                   kr->title);
    }
    return demo__flush(d);
}

/* ---------------------------------------------------------------- check-ins */

/* A figure as people would report it: counts stay whole (start and target
 * are whole numbers), ratings and rates keep a decimal or two. */
static double demo__round(const demo_kr_t *kr, double v)
{
    double range = fabs(kr->target - kr->start);
    int whole = kr->start == floor(kr->start) && kr->target == floor(kr->target);
    double step = range >= 100000 ? 100 : whole ? 1 : range >= 5 ? 0.1 : 0.01;
    return round(v / step) * step;
}

/* The value of check-in week w (1..weeks) and its confidence. */
static double demo__week_value(demo_t *d, const demo_cycle_t *c, demo_kr_t *kr, int w,
                               uint32_t *confidence)
{
    static const int conf_lo[3] = {7, 5, 2}, conf_hi[3] = {9, 7, 4};
    *confidence =
        (uint32_t)(conf_lo[kr->fate] +
                   (int)demo__pick(d, (size_t)(conf_hi[kr->fate] - conf_lo[kr->fate] + 1)));
    if (kr->metric == OKR__METRIC__METRIC_BOOLEAN)
        return kr->done_week && w >= kr->done_week ? 1 : 0;
    double p = kr->final * pow((double)w / c->weeks, kr->shape);
    p += demo__uniform(d, -0.03, 0.03);
    if (kr->fate < 2 && p < kr->last_progress)
        p = kr->last_progress; /* on-track work rarely goes backwards */
    if (w == c->weeks)
        p = kr->fate < 2 ? (kr->final > p ? kr->final : p) : p;
    if (p < 0)
        p = 0;
    if (p > 1)
        p = 1;
    kr->last_progress = p;
    return demo__round(kr, kr->start + p * (kr->target - kr->start));
}

/* When check-in week w (1..weeks) was made: in office hours, on one of the
 * last three days of its week (or its share of a closed cycle). */
static int64_t demo__week_time(demo_t *d, const demo_cycle_t *c, int w)
{
    int64_t day =
        demo__midnight(c->start + w * c->every - (int64_t)(1 + demo__pick(d, 3)) * DEMO_DAY_MS);
    return day + (int64_t)(9 + demo__pick(d, 9)) * 3600000 + (int64_t)demo__pick(d, 60) * 60000;
}

static void on_checkin(demo_t *d, void *arg, const Okr__Response *resp)
{
    demo_cycle_t *c = arg;
    (void)resp;
    (void)d;
    c->checkins++;
}

static int demo__checkins(demo_t *d, demo_cycle_t *c)
{
    int tty = d->progress && isatty(STDOUT_FILENO);
    for (int w = 1; w <= c->weeks; w++) {
        for (size_t i = 0; i < c->nkrs; i++) {
            demo_kr_t *kr = &c->krs[i];
            if (kr->linked >= 0 || w > kr->last_week)
                continue; /* its progress is its child's; or it went quiet */
            Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
            ci.key_result_id = kr->id;
            ci.at = demo__week_time(d, c, w);
            if (!d->dated || ci.at > d->t0)
                ci.at = 0;
            ci.value = demo__week_value(d, c, kr, w, &ci.confidence);
            ci.has_confidence = 1;
            ci.note = (char *)"";
            if (demo__uniform(d, 0, 1) < 0.3)
                ci.note = (char *)(demo__has_cjk(kr->title)
                                       ? demo_notes_zh[demo__pick(d, DEMO_COUNT(demo_notes_zh))]
                                       : demo_notes_en[demo__pick(d, DEMO_COUNT(demo_notes_en))]);
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_CHECKIN;
            req.checkin = &ci;
            demo__send(d, demo__as(d, kr->owner), &req, on_checkin, c, 0,
                       "checking in week %d of “%s” as %s", w, kr->title,
                       demo_users[kr->owner].username);
        }
        /* a week's check-ins are in before the next week's are sent */
        if (demo__flush(d))
            return d->err;
        if (tty)
            printf("\r  check-ins  week %d of %d, %zu so far", w, c->weeks, c->checkins),
                fflush(stdout);
    }
    if (tty)
        printf("\r\033[K");
    return 0;
}

/* ---------------------------------------------------------------- tasks */

typedef struct demo_task {
    demo_t *d;
    Okr__TaskState want;
    int lead;
} demo_task_t;

static void on_task_update(demo_t *d, void *arg, const Okr__Response *resp)
{
    (void)resp;
    Okr__TaskState *want = arg;
    if (*want == OKR__TASK_STATE__TASK_STATE_DONE)
        d->tasks_done++;
    else if (*want == OKR__TASK_STATE__TASK_STATE_DOING)
        d->tasks_doing++;
}

static void on_task(demo_t *d, void *arg, const Okr__Response *resp)
{
    demo_task_t *t = arg;
    if (resp->result_case != OKR__RESPONSE__RESULT_TASK || !resp->task) {
        demo__fail(d, OKR_E_PROTOCOL, "creating a task: the server sent no task");
        return;
    }
    d->tasks++;
    if (resp->task->state == t->want) {
        on_task_update(d, &t->want, resp);
        return;
    }
    /* the server created it as to do: move it on, as its lead would */
    Okr__Task up = *resp->task;
    up.state = t->want;
    Okr__TaskUpdateRequest tu = OKR__TASK_UPDATE_REQUEST__INIT;
    tu.task = &up;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_UPDATE;
    req.task_update = &tu;
    Okr__Response *uresp;
    if (okr_client_call(demo__as(d, t->lead), &req, &uresp) != 0)
        return;
    if (uresp->status == OKR__STATUS__STATUS_OK)
        on_task_update(d, &t->want, uresp);
    okr__response__free_unpacked(uresp, NULL);
}

static int demo__tasks(demo_t *d, demo_cycle_t *c, int64_t now)
{
    static demo_task_t plans[DEMO_NSQUADS * 5];
    size_t n = 0;
    for (int t = 0; t < DEMO_NSQUADS; t++) {
        int team = 4 + t, lead = demo__lead_of(team);
        /* the first key results of the team's first two objectives */
        int krs[2] = {-1, -1}, found = 0;
        for (size_t i = 0; i < c->nkrs && found < 2; i++) {
            const demo_obj_t *o = &c->objs[c->krs[i].obj];
            if (o->level == 2 && o->team == team && c->krs[i].linked < 0 &&
                (found == 0 || c->objs[c->krs[krs[0]].obj].def != o->def))
                krs[found++] = (int)i;
        }
        for (int k = 0; k < 5 && found; k++) {
            const demo_kr_t *kr = &c->krs[krs[k % found]];
            demo_task_t *plan = &plans[n++];
            double r = demo__uniform(d, 0, 1);
            plan->d = d;
            plan->lead = lead;
            plan->want = r < 0.3    ? OKR__TASK_STATE__TASK_STATE_DONE
                         : r < 0.65 ? OKR__TASK_STATE__TASK_STATE_DOING
                                    : OKR__TASK_STATE__TASK_STATE_TODO;
            Okr__Task task = OKR__TASK__INIT;
            task.key_result_id = kr->id;
            task.title = (char *)demo_task_titles[t][k];
            task.assignee_id = d->user_ids[demo__member_of(team, (size_t)k + 1)];
            task.state = plan->want;
            int64_t due_days = (int64_t)demo__pick(d, 40) - 10; /* some are overdue */
            task.due_at = demo__midnight(now + due_days * DEMO_DAY_MS) + DEMO_DAY_MS - 1;
            Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
            tc.task = &task;
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_TASK_CREATE;
            req.task_create = &tc;
            demo__send(d, demo__as(d, lead), &req, on_task, plan, 0, "creating task “%s” as %s",
                       task.title, demo_users[lead].username);
        }
    }
    return demo__flush(d);
}

/* ---------------------------------------------------------------- comments and kudos */

static void on_comment(demo_t *d, void *arg, const Okr__Response *resp)
{
    (void)resp;
    if (arg)
        d->kudos++;
    else
        d->comments++;
}

/* Someone who would comment on objective o: its team's people, or for the
 * company's and departments' objectives, their leaders. */
static int demo__commenter(demo_t *d, const demo_obj_t *o)
{
    if (o->level == 0)
        return demo__lead_of(1 + (int)demo__pick(d, DEMO_NDEPTS));
    if (o->level == 1)
        return demo__lead_of(4 + (int)demo__pick(d, DEMO_NSQUADS));
    return demo__member_of(o->team, demo__pick(d, 8));
}

static int demo__comments(demo_t *d, demo_cycle_t *c)
{
    for (int i = 0; i < DEMO_COMMENTS; i++) {
        Okr__Comment cm = OKR__COMMENT__INIT;
        const demo_obj_t *o;
        const char *title;
        if (demo__pick(d, 2) == 0) {
            o = &c->objs[demo__pick(d, c->nobjs)];
            cm.objective_id = o->id;
            title = o->def->title;
        } else {
            const demo_kr_t *kr = &c->krs[demo__pick(d, c->nkrs)];
            o = &c->objs[kr->obj];
            cm.key_result_id = kr->id;
            title = kr->title;
        }
        int author = demo__commenter(d, o);
        cm.kind = OKR__COMMENT_KIND__COMMENT_KIND_COMMENT;
        cm.body = (char *)(demo__has_cjk(title)
                               ? demo_comments_zh[demo__pick(d, DEMO_COUNT(demo_comments_zh))]
                               : demo_comments_en[demo__pick(d, DEMO_COUNT(demo_comments_en))]);
        Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
        cc.comment = &cm;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
        req.comment_create = &cc;
        demo__send(d, demo__as(d, author), &req, on_comment, NULL, 0, "commenting as %s",
                   demo_users[author].username);
    }
    /* kudos: from a lead to whoever owns a key result that goes well */
    size_t given = 0;
    for (size_t tries = 0; given < DEMO_KUDOS && tries < 4 * DEMO_MAX_KRS; tries++) {
        const demo_kr_t *kr = &c->krs[demo__pick(d, c->nkrs)];
        if (kr->fate != 0 || kr->linked >= 0)
            continue;
        const demo_obj_t *o = &c->objs[kr->obj];
        int from = demo__lead_of(o->team);
        if (from == kr->owner) /* a lead is thanked by the level above */
            from = demo__lead_of(demo_teams[o->team].parent >= 0 ? demo_teams[o->team].parent : 0);
        if (from == kr->owner)
            from = demo__lead_of(1 + (int)demo__pick(d, DEMO_NDEPTS));
        Okr__Comment cm = OKR__COMMENT__INIT;
        cm.key_result_id = kr->id;
        cm.kind = OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
        cm.to_user_id = d->user_ids[kr->owner];
        cm.body = (char *)(demo__has_cjk(kr->title)
                               ? demo_kudos_zh[demo__pick(d, DEMO_COUNT(demo_kudos_zh))]
                               : demo_kudos_en[demo__pick(d, DEMO_COUNT(demo_kudos_en))]);
        Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
        cc.comment = &cm;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
        req.comment_create = &cc;
        demo__send(d, demo__as(d, from), &req, on_comment, (void *)1, 0, "giving kudos as %s",
                   demo_users[from].username);
        given++;
    }
    return demo__flush(d);
}

/* ---------------------------------------------------------------- the run */

static int demo__load_cycle(demo_t *d, demo_cycle_t *c)
{
    if (demo__open_cycle(d, c) || demo__objectives(d, c) || demo__key_results(d, c) ||
        demo__checkins(d, c))
        return d->err;
    if (c->closed && demo__close_cycle(d, c))
        return d->err;
    if (c->closed)
        demo__phase(d,
                    "  cycle %-8s closed: %zu objectives, %zu key results, %zu check-ins, %u "
                    "objectives scored\n",
                    c->name, c->nobjs, c->nkrs, c->checkins, c->scored);
    else
        demo__phase(d,
                    "  cycle %-8s active: %zu objectives, %zu key results (%zu linked), %zu "
                    "check-ins over %d weeks\n",
                    c->name, c->nobjs, c->nkrs, c->nlinked, c->checkins, c->weeks);
    return 0;
}

static json_t *demo__cycle_json(const demo_cycle_t *c)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)c->id, "name",
                     c->name, "state", c->closed ? "closed" : "active", "objectives",
                     (json_int_t)c->nobjs, "key_results", (json_int_t)c->nkrs, "linked_key_results",
                     (json_int_t)c->nlinked, "checkins", (json_int_t)c->checkins,
                     "objectives_scored", (json_int_t)c->scored);
}

static void demo__summary(demo_t *d)
{
    double seconds = (double)(demo__now_ms() - d->t0) / 1000.0;
    if (d->cli->json) {
        okr_cli_print_json(
            json_pack("{s:s, s:i, s:i, s:I, s:s, s:I, s:[o,o], s:I, s:I, s:I, s:I, s:I, s:I}",
                      "server", d->cli->server, "teams", DEMO_NTEAMS, "users", DEMO_NUSERS,
                      "memberships", (json_int_t)d->memberships, "password_rule",
                      DEMO_PASSWORD_PFX "USERNAME", "users_logged_in", (json_int_t)d->logins,
                      "cycles", demo__cycle_json(&d->cycles[0]), demo__cycle_json(&d->cycles[1]),
                      "checkins", (json_int_t)(d->cycles[0].checkins + d->cycles[1].checkins),
                      "tasks", (json_int_t)d->tasks, "tasks_done", (json_int_t)d->tasks_done,
                      "comments", (json_int_t)d->comments, "kudos", (json_int_t)d->kudos,
                      "elapsed_ms", (json_int_t)(demo__now_ms() - d->t0)));
        return;
    }
    printf("Done in %.1f s. Log in as a demo user to see it from their side, e.g.\n"
           "  okr login alice        (password " DEMO_PASSWORD_PFX "alice)\n"
           "  okr mine\n"
           "  okr lint\n",
           seconds);
}

static int demo__run(demo_t *d)
{
    int64_t now = demo__now_ms();
    demo__cycle_dates(d, now);
    if (demo__check_empty(d))
        return d->err;
    if (d->nonempty_cycle[0]) {
        demo__fail(d, OKR_E_CONFLICT,
                   "this server already has objectives (in cycle %s): okr demo only loads into "
                   "an empty server — start okrd with a new --data-dir",
                   d->nonempty_cycle);
        return d->err;
    }
    d->started = 1;
    demo__phase(d, "Loading the demo organisation into %s\n", d->cli->server);
    if (demo__teams(d) || demo__users(d) || demo__logins(d))
        return d->err;
    demo__plan(d, &d->cycles[0], 0);
    demo__plan(d, &d->cycles[1], 1);
    if (demo__load_cycle(d, &d->cycles[0]) || demo__load_cycle(d, &d->cycles[1]))
        return d->err;
    if (demo__tasks(d, &d->cycles[1], now))
        return d->err;
    demo__phase(d, "  tasks      %zu (%zu done, %zu in progress, some overdue)\n", d->tasks,
                d->tasks_done, d->tasks_doing);
    if (demo__comments(d, &d->cycles[1]))
        return d->err;
    demo__phase(d, "  feedback   %zu comments and %zu kudos\n", d->comments, d->kudos);
    return 0;
}

int okr_cmd_demo(okr_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts[] = {OKR_CLI_GLOBAL_LONGOPTS};
    int rc = okr_kit_begin(cli, "demo", demo_usage, argc, argv, "", longopts, NULL, NULL, 0, 0, "");
    if (rc >= 0)
        return rc;
    if ((rc = okr_cli_settle(cli)) != 0)
        return rc;
    if (cli->me->role != OKR__ROLE__ROLE_ADMIN)
        return okr_cli_fail(cli, OKR_EXIT_REFUSED, "FORBIDDEN",
                            "okr demo creates users and teams, which needs an admin; log in as "
                            "one (okr login admin)");
    demo_t *d = calloc(1, sizeof *d);
    if (!d)
        return okr_cli_fail(cli, OKR_EXIT_ERROR, "NOMEM", "out of memory");
    d->cli = cli;
    d->rng = DEMO_SEED;
    d->t0 = demo__now_ms();
    d->progress = !cli->json;
    d->dated = okr_client_server_speaks(cli->client, OKR_PROTOCOL_DATED_CHECKINS);
    demo__run(d);
    demo__flush(d);
    demo__logouts(d);
    if (d->err) {
        if (d->started)
            rc = okr_cli_fail_err(cli, d->err,
                                  "demo stopped: %s (what was loaded so far stays on the server; "
                                  "to start over, start okrd with an empty --data-dir)",
                                  d->errmsg);
        else
            rc = okr_cli_fail_err(cli, d->err, "%s", d->errmsg);
    } else {
        demo__summary(d);
        rc = OKR_EXIT_OK;
    }
    free(d);
    return rc;
}
