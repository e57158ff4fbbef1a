import type { SandboxComment, SandboxDocumentType } from './store-types.js';

export interface DocumentSeed {
  name: string;
  type: SandboxDocumentType;
  markdown: string;
  version?: number;
  comments?: SandboxComment[];
}

export interface TableSeed {
  name: string;
  sheets: Array<{ name: string; fields: string[]; records: Array<Record<string, string>> }>;
}

export interface AccountSeed {
  documents: DocumentSeed[];
  tables: TableSeed[];
}

const Q3_PLAN = `# Q3 计划 / Q3 Plan

## 目标 Goals
- 发布移动端 2.0 / Ship mobile app 2.0
- 将客户流失率降低到 3% 以下 / Reduce churn below 3%
- 招聘两名后端工程师 / Hire two backend engineers

## 里程碑 Milestones
| 月份 Month | 里程碑 Milestone | 负责人 Owner |
| --- | --- | --- |
| 7月 July | Beta 发布 / Beta release | Alice |
| 8月 August | 性能优化 / Performance work | Bob |
| 9月 September | 正式发布 / General availability | Carol |

## 风险 Risks
- 设计资源紧张 / Design capacity is tight
- 第三方支付接口变更 / Payment provider API changes
`;

const ROADMAP = `# Product Roadmap 2026

## Themes
1. Collaboration: real-time co-editing for tables
2. AI assistant: summarise documents and meeting notes
3. Enterprise: audit logs and SSO for every plan

## Timeline
- H1 2026: co-editing beta, assistant preview
- H2 2026: audit logs GA, assistant GA

## Open questions
- Pricing of the assistant add-on
- Data residency for EU customers
`;

const MEETING_NOTES = `# 会议纪要 2026-11-20

## 参会人
张伟、李娜、王芳

## 议题
1. 年终总结的时间安排
2. 新版官网的上线计划

## 决议
- 年终总结定于 12 月 18 日举行
- 官网于 12 月 1 日灰度上线，李娜负责

## 待办
- [ ] 王芳：准备年终总结模板
- [ ] 张伟：确认会议室
`;

const BUDGET = `| Item | Q3 | Q4 |
| --- | --- | --- |
| Cloud | 12000 | 13500 |
| Salaries | 240000 | 250000 |
`;

/** Fresh per sandbox instance; each account gets different files so isolation can be asserted. */
export const SEED_ACCOUNTS: Record<string, AccountSeed> = {
  alice: {
    documents: [
      {
        name: 'Q3 计划 Q3 Plan.otl',
        type: 'otl',
        markdown: Q3_PLAN,
        version: 3,
        comments: [
          {
            author: 'Bob',
            date: '2026-07-02 10:15:00',
            text: '招聘目标需要再确认 / Please confirm the hiring target',
          },
          {
            author: 'Carol',
            date: '2026-07-03 16:40:00',
            text: 'GA date looks tight, can we add a buffer week?',
          },
        ],
      },
      { name: 'Product Roadmap 2026.docx', type: 'docx', markdown: ROADMAP, version: 5 },
      { name: '会议纪要 2026-11-20.otl', type: 'otl', markdown: MEETING_NOTES, version: 1 },
      { name: 'Budget.ksheet', type: 'ksheet', markdown: BUDGET, version: 2 },
    ],
    tables: [
      {
        name: 'Hiring Tracker 招聘跟踪.dbt',
        sheets: [
          {
            name: 'Candidates',
            fields: ['Name', 'Role', 'Stage', 'Start date'],
            records: [
              { Name: '陈静 Chen Jing', Role: 'Backend Engineer', Stage: 'Interview', 'Start date': '' },
              { Name: 'Mark Davis', Role: 'Backend Engineer', Stage: 'Offer', 'Start date': '2026-09-01' },
              { Name: '刘洋 Liu Yang', Role: 'Designer', Stage: 'Screening', 'Start date': '' },
            ],
          },
        ],
      },
    ],
  },
  bob: {
    documents: [
      {
        name: "Bob's Private Notes.otl",
        type: 'otl',
        markdown: "# Bob's Private Notes\n\n- Salary review: ask for 8%\n- Gift idea for Alice: tea set\n",
      },
      {
        name: '周报 Weekly Report W47.docx',
        type: 'docx',
        markdown: '# 周报 Weekly Report W47\n\n## 本周完成 Done\n- 修复登录问题 / Fixed login bug\n',
        version: 2,
      },
    ],
    tables: [
      {
        name: 'Reading List.dbt',
        sheets: [
          { name: 'Books', fields: ['Title', 'Author'], records: [{ Title: '三体', Author: '刘慈欣' }] },
        ],
      },
    ],
  },
  carol: {
    documents: [
      {
        name: 'Carol Travel Plan.otl',
        type: 'otl',
        markdown: '# Carol Travel Plan\n\n- 2026-12-02 Shanghai → Shenzhen\n- Hotel: near the office\n',
      },
    ],
    tables: [],
  },
};
