"""The categories a fresh install starts with. Editors change them in the admin."""

DEFAULT_CATEGORIES = [
    {
        "slug": "ai-business",
        "name": "AI business insight",
        "emoji": "🩵",
        "color": "#4e79a7",
        "description": "Companies, funding, deals, products, pricing, markets and the economics of AI.",
        "keywords": "business, funding, raises, investment, investor, acquisition, acquire, deal, "
        "partnership, revenue, market, startup, valuation, pricing, customers, enterprise, "
        "company, ipo, billion, million, economy, productivity, 투자, 기업, 시장, 매출, 인수, 스타트업, 경제",
    },
    {
        "slug": "multimodal",
        "name": "Multimodal",
        "emoji": "🌞",
        "color": "#f28e2b",
        "description": "Models that see, hear or generate images, video, audio and speech.",
        "keywords": "multimodal, image, images, vision, video, audio, speech, voice, diffusion, "
        "text-to-image, visual, camera, music, 이미지, 영상, 음성, 멀티모달",
    },
    {
        "slug": "training",
        "name": "Model training technique",
        "emoji": "🤩",
        "color": "#e15759",
        "description": "How models are trained: data, pre-training, fine-tuning, RL, alignment methods, scaling.",
        "keywords": "training, pre-training, pretraining, fine-tuning, finetuning, reinforcement learning, "
        "rlhf, dataset, data, scaling, optimizer, distillation, reward, interpretability, 학습, 훈련, 데이터셋",
    },
    {
        "slug": "llm",
        "name": "LLM",
        "emoji": "🧠",
        "color": "#76b7b2",
        "description": "Large language models, chatbots and their releases, capabilities and evaluations.",
        "keywords": "llm, language model, gpt, claude, gemini, llama, mistral, grok, chatbot, chatgpt, "
        "model release, benchmark, reasoning, context window, tokens, prompt, 언어모델, 챗봇, 초거대",
    },
    {
        "slug": "inference",
        "name": "Inference acceleration",
        "emoji": "⚡",
        "color": "#59a14f",
        "description": "Serving and running models faster and cheaper: chips, GPUs, quantisation, kernels.",
        "keywords": "inference, latency, throughput, gpu, gpus, tpu, chip, chips, nvidia, quantization, "
        "quantisation, kernel, serving, accelerator, compute, datacenter, data center, cuda, 반도체, 칩, 추론",
    },
    {
        "slug": "policy-safety",
        "name": "AI policy & safety",
        "emoji": "🛡️",
        "color": "#edc948",
        "description": "Regulation, law, government, security, safety research, risks, ethics and society.",
        "keywords": "policy, regulation, law, government, congress, eu, act, safety, security, risk, "
        "ethics, copyright, lawsuit, privacy, misuse, election, military, defense, 규제, 정책, 안전, 윤리, 정부",
    },
    {
        "slug": "research",
        "name": "Research papers",
        "emoji": "📄",
        "color": "#b07aa1",
        "description": "Academic papers, preprints and research results.",
        "keywords": "paper, arxiv, research, study, researchers, preprint, we propose, experiment, "
        "findings, university, 논문, 연구",
    },
    {
        "slug": "robotics-agents",
        "name": "Robotics & agents",
        "emoji": "🤖",
        "color": "#ff9da7",
        "description": "Robots, autonomous agents, tool use, computer use and coding agents.",
        "keywords": "robot, robots, robotics, agent, agents, agentic, autonomous, tool use, computer use, "
        "coding agent, humanoid, self-driving, 로봇, 에이전트, 자율",
    },
    {
        "slug": "others",
        "name": "Others",
        "emoji": "📦",
        "color": "#bab0ac",
        "description": "Not about AI, or fits no other category. Counted, never summarised.",
        "keywords": "",
        "in_digest": False,
    },
]
